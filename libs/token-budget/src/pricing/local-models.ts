/**
 * Whether a model name looks like a locally served one: an Ollama `name:tag` (`llama3.2:latest`,
 * `deepseek-r1:14b`, `library/qwen2.5:7b`). Hosted APIs name models without such a tag; the
 * exceptions are OpenAI fine-tunes (`ft:...`) and numeric version suffixes (Bedrock `...-v1:0`),
 * which are not local. Local models are never looked up in the catalog, so `deepseek-r1:14b` on a
 * laptop is not charged DeepSeek's API price.
 */
export function isLocalModelName(model: string): boolean {
  if (model.startsWith('ft:')) return false;
  const match = /^[^\s:]+:([^\s:/]+)$/.exec(model);
  return match !== null && !/^\d+$/.test(match[1]);
}
