// Sorts a failure by its cause: a dependency that is down is retried for ever, the record itself goes
// to the DLQ, and anything else is retried a bounded number of times on the same record.
import { PoisonMessageError } from './consumed-message';

/**
 * - `dependency`: Redis, ClickHouse, Kafka or the schema registry did not answer (network, timeout,
 *   busy, unavailable). The same record will succeed once the dependency is back: retry for ever.
 * - `data`: the record can never succeed: PoisonMessageError, and RangeError / SyntaxError thrown
 *   while handling it (an invalid date, a nesting too deep for the stack, bad JSON).
 * - `unknown`: everything else, TypeError included (usually a bug of ours, which a deploy fixes, so
 *   it is retried first); after a bounded number of failures on one record it goes to the DLQ.
 */
export type FailureClass = 'dependency' | 'data' | 'unknown';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Error names of the clients we use that mean "the server did not answer", not "the input is bad". */
const DEPENDENCY_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'MaxRetriesPerRequestError',
  'TimeoutError',
  'AbortError',
]);

/** Redis replies that say the server is busy or not ready, not that the command is wrong. */
const REDIS_UNAVAILABLE = /^(BUSY|LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY)\b/;

const UNAVAILABLE_MESSAGE =
  /connection is closed|socket hang up|timed? ?out|timeout|unavailable|ECONNREFUSED|ECONNRESET|stream isn't writeable|connect E/i;

interface ErrorLike {
  name: string;
  message: string;
  code?: unknown;
  status?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

/**
 * Duck-typed rather than `instanceof Error`: errors raised by Node's own modules (sockets) come from
 * another realm under test runners, and an error must be classed the same everywhere.
 */
function asErrorLike(value: unknown): ErrorLike | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { name, message } = value as { name?: unknown; message?: unknown };
  if (typeof message !== 'string') return undefined;
  return Object.assign(Object.create(null) as object, value, {
    name: typeof name === 'string' ? name : 'Error',
    message,
  }) as ErrorLike;
}

function isDependencyFailure(err: ErrorLike): boolean {
  if (typeof err.code === 'string' && NETWORK_CODES.has(err.code)) return true;
  if (DEPENDENCY_NAMES.has(err.name)) return true;
  // kafkajs marks the errors a later attempt can fix as retriable (leader moved, broker down).
  if (err.name.startsWith('KafkaJS') && err.retriable === true) return true;
  if (err.name === 'ReplyError' && REDIS_UNAVAILABLE.test(err.message)) return true;
  // The schema registry client's HTTP failures: 5xx, 408, 429, or no answer at all.
  if (err.name === 'ResponseError' && typeof err.status === 'number') {
    if (err.status >= 500 || err.status === 408 || err.status === 429) return true;
  }
  return UNAVAILABLE_MESSAGE.test(err.message);
}

export function classifyFailure(err: unknown): FailureClass {
  // Walk the cause chain: a wrapper (e.g. "resolve failed for event x") keeps the network error inside.
  const seen = new Set<unknown>();
  for (let e: unknown = err; !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (e instanceof PoisonMessageError) return 'data';
    const like = asErrorLike(e);
    if (!like) break;
    if (isDependencyFailure(like)) return 'dependency';
  }
  const name = asErrorLike(err)?.name;
  if (
    err instanceof RangeError ||
    err instanceof SyntaxError ||
    name === 'RangeError' ||
    name === 'SyntaxError'
  )
    return 'data';
  return 'unknown';
}

/** The name the DLQ header carries for a record dead-lettered after failing. */
export function failureName(err: unknown): string {
  if (err instanceof PoisonMessageError) return err.errorClass;
  return asErrorLike(err)?.name ?? typeof err;
}
