import { estimateRequestBody, readerOf } from './estimate-request-body';
import { REQUEST_SHAPE_READERS } from './request-shapes';

describe('the request-body list (estimation/request-shapes.ts)', () => {
  it('asks the readers in a fixed order: Gemini, Anthropic, OpenAI chat, embeddings, Responses', () => {
    expect(REQUEST_SHAPE_READERS.map((reader) => reader.shape)).toEqual([
      'gemini',
      'anthropic-messages',
      'openai-chat',
      'openai-embeddings',
      'openai-responses',
    ]);
  });

  it.each([
    ['gemini', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }],
    ['anthropic-messages', { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }],
    ['anthropic-messages', { model: 'house-model', system: 'be brief', messages: [] }],
    ['openai-chat', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }],
    ['openai-embeddings', { model: 'text-embedding-3-small', input: 'hi' }],
    ['openai-embeddings', { model: 'm', input: [[1, 2, 3]] }],
    ['openai-responses', { model: 'gpt-4.1', input: 'hi' }],
    ['openai-responses', { model: 'gpt-4.1', instructions: 'be brief' }],
  ])('reads a %s body with the first reader that matches it', (shape, body) => {
    expect(readerOf(body)?.shape).toBe(shape);
    expect(estimateRequestBody(body)?.shape).toBe(shape);
  });

  it('a body several readers match goes to the first: contents before messages, messages before input', () => {
    expect(readerOf({ contents: [], messages: [] })?.shape).toBe('gemini');
    expect(readerOf({ model: 'gpt-4o-mini', messages: [], input: 'x' })?.shape).toBe('openai-chat');
  });

  it.each([
    ['not an object', 'text'],
    ['an array', [{ messages: [] }]],
    ['null', null],
    ['messages that are not a list', { messages: 'hi' }],
    ['contents that are not a list', { contents: { parts: [] } }],
    ['no known field', { model: 'gpt-4o-mini', prompt: 'hi' }],
  ])('no reader takes %s', (_name, body) => {
    expect(readerOf(body)).toBeUndefined();
    expect(estimateRequestBody(body)).toBeUndefined();
  });
});
