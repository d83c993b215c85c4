import { MAX_BODY_DEPTH } from '../body/body-bounds';
import { CLIENT_ANTHROPIC_TOOLS, CLIENT_OPENAI_TOOLS, type PolicyRoute } from './request-policy';

/** Something in a request body that costs what the budget cannot see. */
export type BodyFinding =
  | { kind: 'background'; param: string }
  | { kind: 'stored'; param: string; what: string }
  /** A server-side tool the body enables, and how many calls of it one request may make. */
  | { kind: 'tool'; param: string; tool: string; calls: number };

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const given = (value: unknown) => value !== undefined && value !== null && value !== false && value !== '';

/**
 * Deepest nesting and most nodes walked in messages / input: content past them cannot be checked, so it
 * counts as a reference (refused unless stored objects are allowed). The depth is the body bound the
 * model guard already enforces (deeper bodies get 400 `body_too_deep` before this runs); it is kept here
 * so the walk stays bounded wherever it is called.
 */
const MAX_DEPTH = MAX_BODY_DEPTH;
const MAX_NODES = 100_000;

/** A tool type without its date suffix: `web_search_20250305` → `web_search`, `web_search_preview_2025_03_11` → `web_search_preview`. */
export const toolFamily = (type: string): string => type.replace(/_\d{8}$|_\d{4}_\d{2}_\d{2}$/, '');

/** What the body of a request on `route` enables or references that its budget cannot price. */
export function bodyFindings(route: PolicyRoute, body: Json): BodyFinding[] {
  switch (route) {
    case 'chat':
      return [
        ...openAiTools(body, 'chat'),
        ...(given(body.web_search_options) ? [tool('web_search_options', 'web_search', 1)] : []),
        ...storedIn(body.messages, 'messages'),
      ];
    case 'responses':
      return [...responsesFindings(body), ...openAiTools(body, 'responses'), ...storedIn(body.input, 'input')];
    case 'messages':
      return [...anthropicTools(body), ...anthropicRefs(body), ...storedIn(body.messages, 'messages'), ...storedIn(body.system, 'system')];
    case 'embeddings':
      return [];
  }
}

function tool(param: string, name: string, calls: number): BodyFinding {
  return { kind: 'tool', param, tool: name, calls };
}

function responsesFindings(body: Json): BodyFinding[] {
  const out: BodyFinding[] = [];
  if (body.background === true) out.push({ kind: 'background', param: 'background' });
  if (given(body.previous_response_id)) out.push({ kind: 'stored', param: 'previous_response_id', what: 'a stored response' });
  if (given(body.conversation)) out.push({ kind: 'stored', param: 'conversation', what: 'a stored conversation' });
  if (isObject(body.prompt) && given(body.prompt.id)) out.push({ kind: 'stored', param: 'prompt.id', what: 'a stored prompt' });
  return out;
}

function openAiTools(body: Json, route: 'chat' | 'responses'): BodyFinding[] {
  if (!Array.isArray(body.tools)) return [];
  const out: BodyFinding[] = [];
  body.tools.forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.type !== 'string' || CLIENT_OPENAI_TOOLS.includes(entry.type)) return;
    out.push(tool(`tools[${i}].type`, toolFamily(entry.type), 1));
    if (route !== 'responses') return;
    if (Array.isArray(entry.vector_store_ids) && entry.vector_store_ids.length)
      out.push({ kind: 'stored', param: `tools[${i}].vector_store_ids`, what: 'vector stores' });
    if (typeof entry.container === 'string') out.push({ kind: 'stored', param: `tools[${i}].container`, what: 'a stored container' });
    if (isObject(entry.container) && Array.isArray(entry.container.file_ids) && entry.container.file_ids.length) {
      out.push({ kind: 'stored', param: `tools[${i}].container.file_ids`, what: 'stored files' });
    }
  });
  return out;
}

function anthropicTools(body: Json): BodyFinding[] {
  const out: BodyFinding[] = [];
  if (Array.isArray(body.tools)) {
    body.tools.forEach((entry, i) => {
      if (!isObject(entry) || typeof entry.type !== 'string' || entry.type === 'custom') return;
      const family = toolFamily(entry.type);
      if (CLIENT_ANTHROPIC_TOOLS.includes(family)) return;
      const maxUses = entry.max_uses;
      out.push(tool(`tools[${i}].type`, family, Number.isSafeInteger(maxUses) && (maxUses as number) > 0 ? (maxUses as number) : 1));
    });
  }
  if (Array.isArray(body.mcp_servers) && body.mcp_servers.length) out.push(tool('mcp_servers', 'mcp', body.mcp_servers.length));
  return out;
}

function anthropicRefs(body: Json): BodyFinding[] {
  return given(body.container) ? [{ kind: 'stored', param: 'container', what: 'a stored container' }] : [];
}

/**
 * References to stored objects inside messages / input: `file_id` / `file_ids` keys, OpenAI
 * `item_reference` items, Anthropic `source: { type: 'file' }` and `container_upload` blocks.
 * Only the first one is reported (one is enough to refuse).
 */
function storedIn(value: unknown, root: string): BodyFinding[] {
  let nodes = 0;
  const walk = (node: unknown, path: string, depth: number): BodyFinding | undefined => {
    if (typeof node !== 'object' || node === null) return undefined;
    if (depth > MAX_DEPTH || ++nodes > MAX_NODES)
      return {
        kind: 'stored',
        param: root,
        what: `content nested deeper than ${MAX_DEPTH} levels or over ${MAX_NODES} parts, which the gateway does not search for references`,
      };
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const found = walk(node[i], `${path}[${i}]`, depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    const item = node as Json;
    if (given(item.file_id)) return { kind: 'stored', param: `${path}.file_id`, what: 'a stored file' };
    if (Array.isArray(item.file_ids) && item.file_ids.length) return { kind: 'stored', param: `${path}.file_ids`, what: 'stored files' };
    if (item.type === 'item_reference') return { kind: 'stored', param: `${path}.type`, what: 'a stored item' };
    if (item.type === 'file' && path.endsWith('.source')) return { kind: 'stored', param: `${path}.type`, what: 'a stored file' };
    for (const [key, child] of Object.entries(item)) {
      if (typeof child !== 'object' || child === null) continue;
      const found = walk(child, `${path}.${key}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  const found = walk(value, root, 0);
  return found ? [found] : [];
}
