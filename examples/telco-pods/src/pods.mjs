/**
 * The three pods of the Go telco example: who they are, what they offer, whom they follow.
 * `http` providers are served by the pod's HTTP server; `tcp` providers by a small TCP listener.
 */
export const TELCO_PODS = Object.freeze({
  'http-gw': { serviceName: 'http-gw', podName: 'http-gw-pod-1', protocols: ['http'], subscriptions: ['diam-gw', 'eir'] },
  'diam-gw': { serviceName: 'diam-gw', podName: 'diam-gw-pod-1', protocols: ['tcp'], subscriptions: ['eir'] },
  eir: { serviceName: 'eir', podName: 'eir-pod-1', protocols: ['http', 'tcp'], subscriptions: [] },
});
