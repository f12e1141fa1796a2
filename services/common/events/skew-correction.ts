// Client clocks are wrong; the interval between the event and the send is trusted, the absolute
// time is not. Segment's rule: timestamp = receivedAt - (sentAt - originalTimestamp).

export interface ClientTimes {
  /** Client clock when the event happened (Segment `timestamp`, RudderStack `originalTimestamp`). */
  originalTimestamp?: number | undefined;
  /** Client clock when the request left the device. */
  sentAt?: number | undefined;
}

/** All values epoch milliseconds. */
export function correctedTimestamp(receivedAt: number, client: ClientTimes): number {
  const { originalTimestamp, sentAt } = client;
  if (originalTimestamp === undefined) return receivedAt;
  // Without sentAt the skew is unknown: keep the client's time rather than guess.
  if (sentAt === undefined) return originalTimestamp;
  return receivedAt - (sentAt - originalTimestamp);
}
