/** Types shared by the client, the sequence tracker and the pool. */
import type { Resp } from '../../src/protocol/envelope.js';
import type { sdkws } from '../../src/protocol/pb-types.js';

/** What `request()` resolves with: the reply envelope and the round trip in ms. */
export interface RequestResult {
  resp: Resp;
  rttMs: number;
}

/** What a typed helper resolves with: the decoded reply payload, its round trip and envelope. */
export interface Reply<T> {
  data: T;
  rttMs: number;
  resp: Resp;
}

/** A range to pull with PullMsgBySeqList; `num` defaults to `end - begin + 1`. */
export interface SeqRangeInit {
  conversationID: string;
  begin: number;
  end: number;
  num?: number;
}

/** The part of a client the sequence tracker's catch-up needs. */
export interface CatchUpClient {
  /** Identifies the client in the tracker (unique per client object, stable across reconnects). */
  readonly label: string;
  getNewestSeq(): Promise<Reply<sdkws.GetMaxSeqResp>>;
  pullBySeqList(ranges: readonly SeqRangeInit[]): Promise<Reply<sdkws.PullMessageBySeqsResp>>;
}
