// What a template will do, checked before it is saved. Pure. Errors refuse the template: it
// would fail, or misbehave, at every send. Warnings name variables outside the render context:
// they render empty, but customer attributes are free-form, so only a typo outside them is sure.
import Handlebars from 'handlebars';
import type { Channel } from './channels';
import { ANY_NAME, COMPILE_OPTIONS, firstLine, renderContextShape, TEMPLATE_HELPERS, type ContextShape } from './render';
import { LINK_FIELDS, linkProblem } from './template-content';

export interface TemplateNote {
  field: string;
  message: string;
}

export interface TemplateCheck {
  errors: TemplateNote[];
  warnings: TemplateNote[];
}

/**
 * Names that reach an object's prototype. Handlebars hides most of them at runtime (a blank
 * render), and an attribute of that name is a trap: a template may not read them.
 */
const PROTOTYPE_NAMES = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

/** How many arguments each helper takes; Handlebars throws at render time otherwise. */
const HELPER_ARITY: Record<string, number> = { if: 1, unless: 1, with: 1, each: 1, lookup: 2 };

/** Stands in for a variable when a link's static text is checked at save. */
const LINK_PLACEHOLDER = '0';

export function checkTemplate(channel: Channel, content: Record<string, unknown>): TemplateCheck {
  const check: TemplateCheck = { errors: [], warnings: [] };
  for (const [field, source] of Object.entries(content)) {
    if (typeof source !== 'string') continue;
    let program: hbs.AST.Program;
    try {
      program = Handlebars.parse(source);
    } catch (err) {
      check.errors.push({ field, message: firstLine((err as Error).message) });
      continue;
    }
    const walk = new Walk(renderContextShape(channel));
    walk.program(program, { contexts: [walk.root], blockParams: new Map() });
    const errors = [...walk.errors];
    if (errors.length === 0) {
      // Anything the walk does not model still fails here rather than at every send.
      try {
        Handlebars.precompile(source, COMPILE_OPTIONS);
      } catch (err) {
        errors.push(firstLine((err as Error).message));
      }
    }
    const link = LINK_FIELDS.has(field) ? linkSourceProblem(channel, program) : undefined;
    if (link) errors.push(link);
    check.errors.push(...errors.map((message) => ({ field, message })));
    check.warnings.push(...[...walk.warnings].map((message) => ({ field, message })));
  }
  return check;
}

/**
 * A link's literal text is checked at save: its scheme, and its host when http:. A link that
 * begins with a variable can only be checked once rendered, at send (core/template-content.ts
 * renderedProblem).
 */
function linkSourceProblem(channel: Channel, program: hbs.AST.Program): string | undefined {
  const body = program.body.filter((node) => node.type !== 'CommentStatement');
  const leading = body[0];
  if (leading && (leading.type !== 'ContentStatement' || (leading as hbs.AST.ContentStatement).value.trim() === '')) return undefined;
  const sample = body.map((node) => (node.type === 'ContentStatement' ? (node as hbs.AST.ContentStatement).value : LINK_PLACEHOLDER)).join('');
  return linkProblem(channel, sample);
}

/** What `this` is in a block: a part of the render context, or unknown (no warnings). */
type Shape = ContextShape | 'unknown';

interface Scope {
  /** The contexts from the root to the current one, for `../`. */
  contexts: Shape[];
  blockParams: Map<string, Shape>;
}

type Call = hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression;

/** One field's walk over its syntax tree, collecting errors and warnings. */
class Walk {
  readonly errors = new Set<string>();
  readonly warnings = new Set<string>();

  constructor(readonly root: ContextShape) {}

  program(program: hbs.AST.Program | undefined, scope: Scope): void {
    for (const node of program?.body ?? []) this.statement(node, scope);
  }

  private statement(node: hbs.AST.Statement, scope: Scope): void {
    switch (node.type) {
      case 'MustacheStatement':
      case 'BlockStatement':
        this.call(node as Call, scope);
        return;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        this.errors.add(`partials are not supported ("${nameOf((node as hbs.AST.PartialStatement).name)}")`);
        return;
      case 'Decorator':
      case 'DecoratorBlock':
        this.errors.add(`decorators are not supported ("${nameOf((node as hbs.AST.Decorator).path)}")`);
    }
  }

  /** A mustache, block or subexpression: a helper call, or a variable (a section when a block). */
  private call(node: Call, scope: Scope): void {
    const path = asPath(node.path);
    if (!path) return;
    const simple = path.parts.length === 1 && path.depth === 0 && !path.data && !isScoped(path);
    const helper = simple && !scope.blockParams.has(path.original) && TEMPLATE_HELPERS.includes(path.original);
    const hasArguments = node.type === 'SubExpression' || node.params.length > 0 || node.hash !== undefined;
    if (!helper && !hasArguments) {
      const shape = this.variable(path, scope);
      if (node.type === 'BlockStatement') {
        const block = node as hbs.AST.BlockStatement;
        // A section: an object becomes the context, an array's items do in turn.
        this.program(block.program, enter(scope, shape, block.program));
        this.program(block.inverse, scope);
      }
      return;
    }

    const name = path.original;
    if (!helper) this.errors.add(`unknown helper "${name}" (templates may use ${TEMPLATE_HELPERS.join(', ')})`);
    else if (node.params.length !== HELPER_ARITY[name]) this.errors.add(`helper "${name}" takes ${HELPER_ARITY[name]} argument${HELPER_ARITY[name] === 1 ? '' : 's'}`);
    const shapes = node.params.map((param) => this.expression(param, scope));
    for (const pair of node.hash?.pairs ?? []) this.expression(pair.value, scope);
    const key = name === 'lookup' ? node.params[1] : undefined;
    if (key?.type === 'StringLiteral') this.checkName((key as hbs.AST.StringLiteral).value, 'lookup');
    if (node.type !== 'BlockStatement') return;
    const block = node as hbs.AST.BlockStatement;
    const inner = !helper ? 'unknown' : name === 'with' ? shapes[0] : name === 'each' ? (shapes[0] === 'free' ? 'free' : 'unknown') : undefined;
    this.program(block.program, inner === undefined ? scope : enter(scope, inner, block.program));
    this.program(block.inverse, scope);
  }

  private expression(node: hbs.AST.Expression, scope: Scope): Shape {
    if (node.type === 'SubExpression') {
      this.call(node as hbs.AST.SubExpression, scope);
      return 'unknown';
    }
    return node.type === 'PathExpression' ? this.variable(node as hbs.AST.PathExpression, scope) : 'unknown';
  }

  /** Checks a variable against the render context's shape; answers what it holds. */
  private variable(path: hbs.AST.PathExpression, scope: Scope): Shape {
    if (!path.parts.every((part) => this.checkName(part, `"${path.original}"`))) return 'unknown';
    let shape: Shape;
    let parts = path.parts;
    let reached = '';
    if (path.data) {
      // @root is the render context; @index, @key, @first and @last are the loop's own.
      if (parts[0] !== 'root') return 'unknown';
      [shape, parts] = [this.root, parts.slice(1)];
    } else if (path.depth > 0) {
      shape = scope.contexts[scope.contexts.length - 1 - path.depth] ?? 'unknown';
    } else if (!isScoped(path) && parts.length > 0 && scope.blockParams.has(parts[0])) {
      [shape, parts, reached] = [scope.blockParams.get(parts[0])!, parts.slice(1), parts[0]];
    } else {
      shape = scope.contexts[scope.contexts.length - 1];
    }
    for (const part of parts) {
      if (shape === 'free' || shape === 'unknown') return shape;
      if (shape === 'value' || !(Object.hasOwn(shape, part) || shape[ANY_NAME])) {
        const where = reached ? `"${reached}"` : shape === this.root ? 'the render context' : 'this block';
        const has = shape === 'value' ? 'is a value, with no fields' : `has no "${part}" (it has ${Object.keys(shape).join(', ')})`;
        this.warnings.add(`"${path.original}" renders empty: ${where} ${has}`);
        return 'unknown';
      }
      shape = Object.hasOwn(shape, part) ? shape[part] : shape[ANY_NAME]!;
      reached = reached ? `${reached}.${part}` : part;
    }
    return shape;
  }

  /** `used` is how the template reads the name, for the message. */
  private checkName(name: string, used: string): boolean {
    if (!PROTOTYPE_NAMES.has(name)) return true;
    this.errors.add(`${used}: "${name}" is a prototype name, which templates may not read`);
    return false;
  }
}

/** A block's scope: its context on top, its block params (`as |item|`) bound to it. */
function enter(scope: Scope, shape: Shape, program: hbs.AST.Program | undefined): Scope {
  // A value as the context (a string, a number) has no fields worth checking.
  const context = shape === 'value' ? 'unknown' : shape;
  const blockParams = new Map(scope.blockParams);
  for (const name of program?.blockParams ?? []) blockParams.set(name, context);
  return { contexts: [...scope.contexts, context], blockParams };
}

/** `{{"name"}}` looks a name up as a path does; other literals print themselves. */
function asPath(node: hbs.AST.PathExpression | hbs.AST.Literal): hbs.AST.PathExpression | undefined {
  if (node.type === 'PathExpression') return node as hbs.AST.PathExpression;
  if (node.type !== 'StringLiteral' && node.type !== 'NumberLiteral') return undefined;
  const name = String((node as hbs.AST.StringLiteral).value);
  return { type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc: node.loc };
}

/** `this.name` and `./name` never name a helper or a block param. */
function isScoped(path: hbs.AST.PathExpression): boolean {
  return /^\.|this\b/.test(path.original);
}

function nameOf(node: hbs.AST.Expression): string {
  return 'original' in node ? String(node.original) : 'a subexpression';
}
