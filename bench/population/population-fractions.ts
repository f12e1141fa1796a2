// The fixed shape of the synthetic population. Accuracy results are only comparable between runs
// that share these numbers, so they are constants, not options.

/** Mean events per person: the number of people is `events / MEAN_EVENTS_PER_PERSON`. */
export const MEAN_EVENTS_PER_PERSON = 25;
/** Small targets still need room for a hot user, two households and two kiosks. */
export const MIN_PEOPLE = 20;
/** Time span of the whole stream after `start`. */
export const SPAN_DAYS = 30;
/** People whose events are being interleaved at any moment: bounds memory, not the stream size. */
export const ACTIVE_PEOPLE = 500;

/** Hot users: this share of people produces HOT_EVENT_SHARE of the person events. */
export const HOT_PEOPLE_FRACTION = 0.01;
export const HOT_EVENT_SHARE = 0.2;

/** Ordinary people who ever sign up (hot, household and kiosk people always do). */
export const SIGNUP_FRACTION = 0.7;
/** Devices per person: 1, 2, 3, 4 devices with these weights. */
export const DEVICE_COUNT_WEIGHTS: readonly number[] = [0.4, 0.3, 0.2, 0.1];
/** Devices that are phones: screen events, and a context.device.id on MOBILE_DEVICE_ID_FRACTION of them. */
export const MOBILE_DEVICE_FRACTION = 0.4;
export const MOBILE_DEVICE_ID_FRACTION = 0.8;
/** Of a signed-up person's devices other than the sign-up one: those that ever log in. */
export const OTHER_DEVICE_LOGIN_FRACTION = 0.6;
/** Events on a logged-in device that still carry the userId (the rest are anonymous only). */
export const LOGGED_IN_USER_ID_FRACTION = 0.85;
/** Logins that are an identify call (the rest are a `Signed In` track). */
export const LOGIN_IDENTIFY_FRACTION = 0.5;
/** Browsing events with a userId that are a trait update (identify with email and phone). */
export const TRAIT_UPDATE_FRACTION = 0.05;
/** Emails written with mixed case and surrounding whitespace (normalization must undo it). */
export const DECORATED_EMAIL_FRACTION = 0.3;
/** Signed-up people with a phone number; half of the numbers are written formatted, not E.164. */
export const PHONE_FRACTION = 0.4;
export const FORMATTED_PHONE_FRACTION = 0.5;
/**
 * Signed-up, non-household people who subscribe to a newsletter on a device that never logs in:
 * an anonymous event with context.traits.email, the only link from that device to the person.
 */
export const NEWSLETTER_FRACTION = 0.1;

/** People in households: 2-3 people with different userIds sharing one email. */
export const HOUSEHOLD_PEOPLE_FRACTION = 0.02;
/** People who use a shared kiosk (about 3 per kiosk): browse anonymously there, then log in. */
export const KIOSK_PEOPLE_FRACTION = 0.02;
export const KIOSK_PEOPLE_PER_KIOSK = 3;
/** Kiosk people who return to the kiosk for a later session too. */
export const KIOSK_RETURN_FRACTION = 0.1;

/** Person events carrying a blocked value (userId or anonymousId) next to a real identifier. */
export const JUNK_COMPANION_FRACTION = 0.01;
/** Extra events, per person event, carrying only a blocked value: dead-lettered. */
export const JUNK_ONLY_FRACTION = 0.002;
/** Values the default rules block, as SDKs send them by accident. */
export const JUNK_VALUES: readonly string[] = ['null', 'undefined', '0', 'anonymous'];
/** Events re-sent later as exact copies, DUPLICATE_DELAY events later in the stream. */
export const DUPLICATE_FRACTION = 0.01;
export const DUPLICATE_DELAY: readonly [number, number] = [10, 1000];
/** Person events stamped before the person's latest event, by OUT_OF_ORDER_SECONDS. */
export const OUT_OF_ORDER_FRACTION = 0.02;
export const OUT_OF_ORDER_SECONDS: readonly [number, number] = [60, 6 * 3600];
