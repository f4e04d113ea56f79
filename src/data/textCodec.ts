// TextDecoder/TextEncoder exist in Node, browsers and workers, but not in the ES2022 lib this layer compiles
// against (it must not see Node's or the DOM's types); this is the one place that reaches them.
interface Decoder {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
interface Codecs {
  TextDecoder: new (label?: string, options?: { fatal?: boolean }) => Decoder;
  TextEncoder: new () => { encode(text: string): Uint8Array };
}
const codecs = globalThis as unknown as Codecs;

export function textDecoder(label: 'utf-8' | 'latin1', fatal: boolean): Decoder {
  return new codecs.TextDecoder(label, { fatal });
}

export function encodeUtf8(text: string): Uint8Array {
  return new codecs.TextEncoder().encode(text);
}
