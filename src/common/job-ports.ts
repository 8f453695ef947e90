/**
 * What a job serves, as every layer sees it: the ports a course or the image catalog names, and
 * the URLs a runtime answers for them. The store keeps both as JSON, routes validate them, the
 * runtimes produce them; so they live here, below all of those.
 */

import { Type, type Static } from 'typebox';

/** A named port, as the catalog and courses give it; the name labels the URL. Stored as given, so nothing else is accepted. */
export const PortSpecSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,14}$', description: 'port name (a Kubernetes port name): jupyter, digits, …' }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
  },
  { additionalProperties: false },
);

/** A port a job's environment serves, named for the URL label (`jupyter`, `digits`, …). */
export type PortSpec = Static<typeof PortSpecSchema>;

/** A URL the student opens, labelled with its port's name, as the spec's `service` items. */
export interface ServiceUrl {
  label: string;
  value: string;
}
