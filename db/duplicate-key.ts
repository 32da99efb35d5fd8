// MongoDB's duplicate-key refusal (E11000), which idempotent writes take as "already done".
export const DUPLICATE_KEY = 11000;

interface WriteError {
  code?: number;
  index?: number;
  err?: { code?: number; index?: number };
}

/** The per-statement errors of a failed bulk write or insertMany; undefined for other errors. */
export function writeErrorsOf(err: unknown): { code?: number; index?: number }[] | undefined {
  const list = (err as { writeErrors?: WriteError | WriteError[] }).writeErrors;
  if (!list) return undefined;
  return (Array.isArray(list) ? list : [list]).map((we) => ({ code: we.code ?? we.err?.code, index: we.index ?? we.err?.index }));
}

/** A write refused only because the document (or each document) was already there. */
export function isDuplicateKey(err: unknown): boolean {
  const list = writeErrorsOf(err);
  if (list) return list.length > 0 && list.every((we) => we.code === DUPLICATE_KEY);
  return (err as { code?: number }).code === DUPLICATE_KEY;
}
