/**
 * Registration validation on the HTTP hot path: parseRegistration of the Go telco bodies beside
 * JSON.parse of the same body (the work every request does anyway), measured in the same rounds.
 */
import { ValidationError, parseRegistration, toWireService, validateRegistration } from '@governance/core';
import { report, runCases } from '../lib/harness.mjs';
import { EIR_BODY, HTTP_GW_BODY } from '../../test/fixtures/go-telco.mjs';

const httpGw = JSON.parse(HTTP_GW_BODY);
const eir = JSON.parse(EIR_BODY);
const bad = {
  ...httpGw,
  service_name: 'bad:name',
  providers: [{ protocol: 'sip', ip: '', port: 0 }],
  notification_url: 'file:///etc/passwd',
};
const httpGwJson = JSON.stringify(httpGw);
const eirJson = JSON.stringify(eir);
const camel = parseRegistration(eir);
const info = { ...camel, status: 'healthy', lastHealthCheck: new Date(), registeredAt: new Date(), updatedAt: new Date() };

const fewMicros = [{ name: 'median < 5 µs', metric: 'medianNs', op: '<', limit: 5000 }];

const result = await runCases({
  name: 'validation',
  cases: [
    {
      name: 'parseRegistration (http-gw, 1 provider)',
      fn: () => parseRegistration(httpGw),
      baseline: { name: 'JSON.parse of the body', fn: () => JSON.parse(httpGwJson) },
      targets: fewMicros,
    },
    {
      name: 'parseRegistration (eir, 2 providers)',
      fn: () => parseRegistration(eir),
      baseline: { name: 'JSON.parse of the body', fn: () => JSON.parse(eirJson) },
      targets: fewMicros,
    },
    {
      name: 'validateRegistration (camelCase, 2 providers)',
      fn: () => validateRegistration(camel),
      targets: fewMicros,
    },
    {
      name: 'parseRegistration rejecting 5 problems',
      fn: () => {
        try {
          parseRegistration(bad);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          return error;
        }
        throw new Error('[bench] expected a ValidationError');
      },
      note: 'the error path: every problem collected with its field path',
    },
    {
      name: 'toWireService (2 providers)',
      fn: () => toWireService(info),
      note: 'the camelCase → snake_case conversion of one pod for GET /services',
    },
  ],
});

report(result, {
  notes: [
    'Durations are nanoseconds per call, timed in batches. Baselines are measured in the same rounds.',
    'Target from the validation brief: a typical 1–3 provider registration costs a few microseconds.',
  ],
});
