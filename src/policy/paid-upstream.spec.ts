import { MockUpstream } from '../upstream/mock-upstream';
import { bodyFindings, toolFamily } from './body-findings';
import { isPaidUpstream } from './paid-upstream';

const at = (target: string) => ({ target });

describe('isPaidUpstream', () => {
  it("'auto': the mock, loopback hosts and Ollama's port are free; any other URL is paid", () => {
    expect(isPaidUpstream(new MockUpstream())).toBe(false);
    expect(isPaidUpstream(at('https://api.openai.com/v1'))).toBe(true);
    expect(isPaidUpstream(at('https://api.anthropic.com'))).toBe(true);
    expect(isPaidUpstream(at('http://vllm.internal:8000/v1'))).toBe(true);
    expect(isPaidUpstream(at('http://127.0.0.1:4000/v1'))).toBe(false);
    expect(isPaidUpstream(at('http://localhost:8080/v1'))).toBe(false);
    expect(isPaidUpstream(at('http://[::1]:8080/v1'))).toBe(false);
    expect(isPaidUpstream(at('http://gpu-box:11434/v1'))).toBe(false);
  });

  it('true / false decide for every upstream but the mock', () => {
    expect(isPaidUpstream(at('http://127.0.0.1:4000/v1'), true)).toBe(true);
    expect(isPaidUpstream(at('https://api.openai.com/v1'), false)).toBe(false);
    expect(isPaidUpstream(new MockUpstream(), true)).toBe(false);
  });
});

describe('bodyFindings', () => {
  it('strips date suffixes from tool types', () => {
    expect(toolFamily('web_search_20250305')).toBe('web_search');
    expect(toolFamily('web_search_preview_2025_03_11')).toBe('web_search_preview');
    expect(toolFamily('code_interpreter')).toBe('code_interpreter');
  });

  it('reads file_search vector stores and code interpreter containers as stored objects beside the tool', () => {
    const findings = bodyFindings('responses', {
      model: 'm',
      tools: [
        { type: 'file_search', vector_store_ids: ['vs_1'] },
        { type: 'code_interpreter', container: 'cntr_1' },
        { type: 'code_interpreter', container: { type: 'auto', file_ids: ['f'] } },
      ],
    });
    expect(findings).toEqual([
      { kind: 'tool', param: 'tools[0].type', tool: 'file_search', calls: 1 },
      { kind: 'stored', param: 'tools[0].vector_store_ids', what: 'vector stores' },
      { kind: 'tool', param: 'tools[1].type', tool: 'code_interpreter', calls: 1 },
      { kind: 'stored', param: 'tools[1].container', what: 'a stored container' },
      { kind: 'tool', param: 'tools[2].type', tool: 'code_interpreter', calls: 1 },
      { kind: 'stored', param: 'tools[2].container.file_ids', what: 'stored files' },
    ]);
  });

  it('finds item references and conversations; ignores client tools and embeddings', () => {
    expect(bodyFindings('responses', { input: [{ type: 'item_reference', id: 'msg_1' }], conversation: 'conv_1' })).toEqual([
      { kind: 'stored', param: 'conversation', what: 'a stored conversation' },
      { kind: 'stored', param: 'input[0].type', what: 'a stored item' },
    ]);
    expect(
      bodyFindings('messages', { tools: [{ type: 'text_editor_20250728', name: 'e' }, { type: 'custom', name: 'c' }, { name: 'plain' }] }),
    ).toEqual([]);
    expect(bodyFindings('embeddings', { input: [{ file_id: 'x' }] })).toEqual([]);
  });

  it('content past the depth or size bound is not walked, and counts as a reference (no way to hide a file_id)', () => {
    let deep: unknown = { text: 'x' };
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(bodyFindings('chat', { messages: deep })).toEqual([
      { kind: 'stored', param: 'messages', what: expect.stringContaining('nested deeper than 64 levels') },
    ]);
    const wide = [
      {
        role: 'user',
        content: [...Array.from({ length: 100_001 }, () => ({ type: 'text', text: 'x' })), { type: 'file', file: { file_id: 'f' } }],
      },
    ];
    expect(bodyFindings('chat', { messages: wide })).toEqual([
      { kind: 'stored', param: 'messages', what: expect.stringContaining('over 100000 parts') },
    ]);
    expect(bodyFindings('chat', { messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] })).toEqual([]);
  });
});
