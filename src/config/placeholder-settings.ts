/**
 * Settings of classroom placeholders on Kubernetes: pods of a low PriorityClass that hold a
 * classroom's reserved GPUs from `lead` minutes before its windows, and give way to real jobs.
 */

import { nonEmptyString, type Setting } from './parsers.js';
import { dnsName, oneOf } from './runtime-settings.js';

export const PLACEHOLDER_MODES = ['off', 'on'] as const;
export type PlaceholderMode = (typeof PLACEHOLDER_MODES)[number];

export const placeholderSettings = {
  placeholders: {
    env: 'CLASSLAB_PLACEHOLDERS',
    description: "Kubernetes: warm the cluster before a classroom's windows with placeholder pods that hold its reserved GPUs (on or off)",
    default: 'off' as PlaceholderMode,
    parse: oneOf(PLACEHOLDER_MODES),
  } satisfies Setting<PlaceholderMode>,
  placeholderPriorityClass: {
    env: 'CLASSLAB_PLACEHOLDER_PRIORITY_CLASS',
    description: "PriorityClass of placeholder pods: lower than jobs', so that a job's launch preempts them",
    default: 'classlab-placeholder',
    parse: dnsName,
  } satisfies Setting<string>,
  placeholderImage: {
    env: 'CLASSLAB_PLACEHOLDER_IMAGE',
    description: 'image of placeholder pods: a pause image, which does nothing while it holds its GPU',
    // Docker Hub's copy of the Kubernetes pause image: a name without a registry host, so a
    // cluster's mirror settings apply to it as to any other image.
    default: 'rancher/mirrored-pause:3.6',
    parse: nonEmptyString,
  } satisfies Setting<string>,
};
