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

/**
 * The codec kind for a handshake `sdkType`: `go` or empty -> gob, `js` -> json (exact,
 * case-sensitive, like upstream). Returns `undefined` for anything else rather than
 * throwing, so the handshake can answer with its own `ConnArgsErr` ("sdkType is invalid").
 */
export function codecKindForSdkType(sdkType: string): CodecKind | undefined {
  if (sdkType === 'go' || sdkType === '') return 'gob';
  if (sdkType === 'js') return 'json';
  return undefined;
}

/**
 * The codec for a handshake `sdkType` (see {@link codecKindForSdkType}) in `flavour`
 * (default `server`, the gateway's side). Returns `undefined` for an unknown sdkType.
 */
export function codecForSdkType(sdkType: string, flavour: CodecFlavour = 'server'): EnvelopeCodec | undefined {
  const kind = codecKindForSdkType(sdkType);
  return kind === undefined ? undefined : getCodec(kind, flavour);
}
