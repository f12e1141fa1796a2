// The seed-004 journey of issue 15 (its pinned shape), with the wait given in seconds.
export const pricingJourney = (timeoutSeconds: number) => ({
  kind: 'journey',
  id: 'pricing-help',
  name: 'Help visitors stuck on pricing',
  trigger: {
    type: 'page',
    where: [{ property: 'path', op: 'eq', value: '/pricing' }],
    occurrence: 3,
    within_days: 7,
  },
  exit_when: [{ event: 'Order Completed', reason: 'converted' }],
  reentry: 'never',
  steps: [
    { id: 'first-mail', send: { destination: 'mailer', message: 'pricing-help' } } as Record<string, unknown>,
    {
      id: 'wait-order',
      wait_for: { event: 'Order Completed', timeout_seconds: timeoutSeconds },
      on_event: 'done',
      on_timeout: 'second-mail',
    },
    { id: 'second-mail', send: { destination: 'mailer', message: 'discount-offer' } },
    { id: 'done', exit: 'completed' },
  ] as Record<string, unknown>[],
});
