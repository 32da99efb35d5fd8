// Carries out a plan through the API, step by step in its order, saying what each did. The
// first refusal stops it: what was done stays done, and running apply again takes up the
// rest (each step is a whole-resource write, so repeating one is harmless).
import { parseFieldPath } from '../core/field-path';
import { ApiError, type ApiClient } from './api-client';
import type { Plan, Step } from './plan';
import { formatProblem, problemAt } from './problems';
import { KINDS } from './resources';

export interface ApplyResult {
  done: string[];
  /** The refusal that stopped it, in words (the file and field when the API named one). */
  failure?: string[];
}

export async function applyPlan(api: ApiClient, plan: Plan, dir: string, say: (line: string) => void): Promise<ApplyResult> {
  const done: string[] = [];
  for (const step of plan.steps) {
    try {
      const line = await applyStep(api, step);
      done.push(line);
      say(line);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { done, failure: refusal(step, err, dir) };
    }
  }
  return { done };
}

async function applyStep(api: ApiClient, step: Step): Promise<string> {
  const path = KINDS[step.kind].path(step.id);
  const what = `${step.kind} ${step.id}`;
  if (step.action === 'delete') {
    await api.request('DELETE', path);
    return `deleted ${what}`;
  }
  const { status, body } = await api.request('PUT', path, step.body);
  if (step.kind === 'journey') return `published ${what} as version ${(body as { version: number }).version}`;
  return `${status === 201 || step.action === 'create' ? 'created' : 'updated'} ${what}`;
}

/** The API's answer, each field it names placed in the step's file (under dir). */
function refusal(step: Step, err: ApiError, dir: string): string[] {
  const head = `error: ${step.action} ${step.kind} ${step.id} was refused (${err.status}): ${err.message}`;
  if (!step.local || err.details.length === 0) return [head];
  const local = step.local;
  return [head, ...err.details.map((d) => formatProblem(problemAt(local.source, [...local.at, ...parseFieldPath(d.field)], d.message), dir))];
}
