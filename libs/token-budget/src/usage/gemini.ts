import type { UsageReader } from './usage-reader';
import { UsageReading } from './usage-reading';
import { addCounts, guardReading, isRecord, optionalCount, peek, usageFound } from './usage-fields';

const PATH = 'usageMetadata';

/**
 * Reads token usage from a Gemini `GenerateContentResponse` (`usageMetadata`). Input is
 * prompt + tool-use prompt tokens; output is candidates + thoughts tokens. For a stream, pass
 * the last chunk: its `usageMetadata` is the running total. Never throws.
 */
export function readGeminiUsage(result: unknown): UsageReading {
  return guardReading(() => {
    const metadata = peek(result, PATH);
    if (!isRecord(metadata)) return { kind: 'none' };
    const prompt = optionalCount(metadata, 'promptTokenCount', PATH) ?? 0;
    const toolUsePrompt = optionalCount(metadata, 'toolUsePromptTokenCount', PATH) ?? 0;
    const candidates = optionalCount(metadata, 'candidatesTokenCount', PATH) ?? 0;
    const thoughts = optionalCount(metadata, 'thoughtsTokenCount', PATH);
    const cachedInputTokens = optionalCount(metadata, 'cachedContentTokenCount', PATH);
    optionalCount(metadata, 'totalTokenCount', PATH);
    const inputTokens = addCounts(`${PATH} input tokens`, prompt, toolUsePrompt);
    const outputTokens = addCounts(`${PATH} output tokens`, candidates, thoughts ?? 0);
    const modelVersion = peek(result, 'modelVersion');
    return usageFound({
      inputTokens,
      outputTokens,
      totalTokens: addCounts(`${PATH} token counts`, inputTokens, outputTokens),
      cachedInputTokens,
      reasoningTokens: thoughts,
      model: typeof modelVersion === 'string' ? modelVersion : undefined,
    });
  });
}

/**
 * Google Gemini `generateContent` (`usageMetadata`). Stream (`alt=sse`): untyped chunks; text from
 * `candidates[].content.parts[].text`; `usageMetadata` is a running total, the last one kept (never
 * summed), final only when the stream completes.
 */
export const geminiUsage: UsageReader = {
  provider: 'gemini',
  claims: (result) => isRecord(peek(result, PATH)),
  fromResult: readGeminiUsage,
  runningTotals: true,
  readStreamEvent(event, stream) {
    stream.model(event.modelVersion);
    const candidates = event.candidates;
    if (!Array.isArray(candidates)) return false;
    stream.recognise();
    for (const candidate of candidates) {
      const parts = peek(peek(candidate, 'content'), 'parts');
      if (Array.isArray(parts)) for (const part of parts) stream.text(peek(part, 'text'));
    }
    return false;
  },
};
