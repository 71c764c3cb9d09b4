/**
 * A strict decoder with the rules of Go's `encoding/json` `Decoder` with
 * `DisallowUnknownFields()`, for the Go structs of the Go governance library, written from their
 * field lists (issue 10):
 *
 * - an object key matches a field by its JSON tag, or by the Go field name when the field has no
 *   tag; exact match first, then case-insensitive (Go's `equalFold`); a key that matches no field
 *   is an error (`json: unknown field "revision"`);
 * - `string` fields take JSON strings, `int` fields JSON numbers without fraction or exponent,
 *   `time.Time` fields strings in RFC 3339 (`time.Time.UnmarshalJSON`), slices JSON arrays,
 *   structs JSON objects; `null` leaves any field at its zero value.
 */

/** A Go type, as far as the governance structs need. */
export type GoType = 'string' | 'int' | 'time' | { slice: GoType } | { struct: GoStruct };

/** One field of a Go struct: its Go name, its `json:"…"` tag name when it has one, its type. */
export interface GoField {
  name: string;
  tag?: string;
  type: GoType;
}

export interface GoStruct {
  name: string;
  fields: GoField[];
}

/** What Go reports; `path` says where (`Services[0].ServiceName`). */
export class GoDecodeError extends Error {}

const PROVIDER: GoStruct = {
  name: 'models.ProviderInfo',
  fields: [
    { name: 'Protocol', tag: 'protocol', type: 'string' },
    { name: 'IP', tag: 'ip', type: 'string' },
    { name: 'Port', tag: 'port', type: 'int' },
  ],
};

/** `models.ServiceInfo`: no JSON tags, so Go's field names. */
export const GO_SERVICE_INFO: GoStruct = {
  name: 'models.ServiceInfo',
  fields: [
    { name: 'ServiceName', type: 'string' },
    { name: 'PodName', type: 'string' },
    { name: 'Providers', type: { slice: { struct: PROVIDER } } },
    { name: 'HealthCheckURL', type: 'string' },
    { name: 'NotificationURL', type: 'string' },
    { name: 'Subscriptions', type: { slice: 'string' } },
    { name: 'Status', type: 'string' },
    { name: 'LastHealthCheck', type: 'time' },
    { name: 'RegisteredAt', type: 'time' },
  ],
};

/** The `GET /services` answer decoded into a struct holding the list and its count. */
export const GO_SERVICES_RESPONSE: GoStruct = {
  name: 'servicesResponse',
  fields: [
    { name: 'Services', tag: 'services', type: { slice: { struct: GO_SERVICE_INFO } } },
    { name: 'Count', tag: 'count', type: 'int' },
  ],
};

/** `models.NotificationPayload` and its pods (JSON tags in snake_case). */
export const GO_NOTIFICATION_PAYLOAD: GoStruct = {
  name: 'models.NotificationPayload',
  fields: [
    { name: 'ServiceName', tag: 'service_name', type: 'string' },
    { name: 'EventType', tag: 'event_type', type: 'string' },
    { name: 'Timestamp', tag: 'timestamp', type: 'time' },
    {
      name: 'Pods',
      tag: 'pods',
      type: {
        slice: {
          struct: {
            name: 'models.PodInfo',
            fields: [
              { name: 'PodName', tag: 'pod_name', type: 'string' },
              { name: 'Status', tag: 'status', type: 'string' },
              { name: 'Providers', tag: 'providers', type: { slice: { struct: PROVIDER } } },
            ],
          },
        },
      },
    },
  ],
};

/** RFC 3339 as `time.Parse(time.RFC3339, …)` accepts it: `T`, seconds, optional fraction, `Z` or an offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Decodes JSON text into `struct` as Go's strict decoder would; throws `GoDecodeError` where Go fails. */
export function decodeStrict(text: string, struct: GoStruct): unknown {
  return decode(JSON.parse(text), { struct }, struct.name);
}

function decode(value: unknown, type: GoType, path: string): unknown {
  if (value === null) return null;
  if (type === 'string') {
    if (typeof value !== 'string') throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(value)} into Go value of type string (${path})`);
    return value;
  }
  if (type === 'int') {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(value)} into Go value of type int (${path})`);
    }
    return value;
  }
  if (type === 'time') {
    if (typeof value !== 'string' || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
      throw new GoDecodeError(`parsing time ${JSON.stringify(value)} as RFC 3339 failed (${path})`);
    }
    return value;
  }
  if ('slice' in type) {
    if (!Array.isArray(value)) throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(value)} into a Go slice (${path})`);
    return value.map((item, i) => decode(item, type.slice, `${path}[${i}]`));
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(value)} into Go struct ${type.struct.name} (${path})`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const field = fieldFor(type.struct, key);
    if (field === undefined) throw new GoDecodeError(`json: unknown field ${JSON.stringify(key)} (${path})`);
    out[field.name] = decode(item, field.type, `${path}.${field.name}`);
  }
  return out;
}

function fieldFor(struct: GoStruct, key: string): GoField | undefined {
  const nameOf = (field: GoField): string => field.tag ?? field.name;
  return struct.fields.find((f) => nameOf(f) === key) ?? struct.fields.find((f) => nameOf(f).toLowerCase() === key.toLowerCase());
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'object') return 'object';
  return typeof value;
}
