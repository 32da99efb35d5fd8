// A line diff of two texts (a template's HTML, say), for `cairn diff`. Pure: the longest common
// subsequence of lines, shown with a line of context around each change.

/** Above this many line pairs the texts are only summarised (the table grows with their product). */
const MAX_CELLS = 4_000_000;
const CONTEXT = 1;

/** Lines prefixed "- ", "+ " and "  " (context), with "…" where unchanged lines are left out. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > MAX_CELLS) return [`(${a.length} lines → ${b.length} lines)`];
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const lines: { mark: ' ' | '-' | '+'; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) lines.push({ mark: ' ', text: a[i++] }), j++;
    else if (j < b.length && (i === a.length || lcs[i * width + j + 1] > lcs[(i + 1) * width + j])) lines.push({ mark: '+', text: b[j++] });
    else lines.push({ mark: '-', text: a[i++] });
  }
  const near = lines.map((_, k) => lines.slice(Math.max(0, k - CONTEXT), k + CONTEXT + 1).some((l) => l.mark !== ' '));
  const out: string[] = [];
  lines.forEach((line, k) => {
    if (near[k]) out.push(`${line.mark} ${line.text}`);
    else if (out[out.length - 1] !== '…') out.push('…');
  });
  if (out[out.length - 1] === '…') out.pop();
  return out.length === 1 && out[0] === '…' ? [] : out;
}
