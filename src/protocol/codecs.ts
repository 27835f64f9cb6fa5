/**
 * Picking an envelope codec: by encoding (`gob` for sdkType `go`, `json` for `js`) and by
 * flavour, i.e. whose Go struct declarations encoded frames follow:
 * - `server`: the gateway's own `Req` / `Resp` (what open-im-server writes);
 * - `sdk`: the Go SDK's `GeneralWsReq` / `GeneralWsResp` (what our simulated clients write).
 * Every codec decodes both flavours' frames (gob and JSON match fields by name).
 */
import type { EnvelopeCodec } from './codec.js';
import { GobCodec } from './gob.js';
import { JsonCodec } from './json.js';

/** The envelope encodings of the long-connection protocol. */
export type CodecKind = 'gob' | 'json';

/** Whose struct declarations encoded frames follow (type names, field and key order). */
export type CodecFlavour = 'server' | 'sdk';

const cache = new Map<string, EnvelopeCodec>();

/** The codec for `kind` and `flavour`; codecs are stateless, so each is a cached singleton. */
export function getCodec(kind: CodecKind, flavour: CodecFlavour): EnvelopeCodec {
  const key = `${kind}/${flavour}`;
  let codec = cache.get(key);
  if (codec === undefined) {
    codec = kind === 'gob' ? new GobCodec(flavour) : new JsonCodec(flavour);
    cache.set(key, codec);
  }
  return codec;
}

/** The SDK families of the handshake's `sdkType`: the Go SDK speaks gob, the JS SDK JSON. */
export type SdkType = 'go' | 'js';

/**
 * The handshake `sdkType` parameter: `go` or empty -> go, `js` -> js (exact, case-sensitive,
 * like upstream). `undefined` for anything else, so the handshake answers with its own
 * `ConnArgsErr` ("sdkType is invalid").
 */
export function parseSdkType(sdkType: string): SdkType | undefined {
  if (sdkType === 'go' || sdkType === '') return 'go';
  if (sdkType === 'js') return 'js';
  return undefined;
}

/** The envelope encoding an SDK family speaks. */
export function codecKindOf(sdkType: SdkType): CodecKind {
  return sdkType === 'js' ? 'json' : 'gob';
}

/** The codec for an SDK family in `flavour` (`server` on the gateway's side, `sdk` on a client's). */
export function codecFor(sdkType: SdkType, flavour: CodecFlavour): EnvelopeCodec {
  return getCodec(codecKindOf(sdkType), flavour);
}
