/**
 * Which RPC conventions to emit: `old` (obs-opentelemetry's, the default), `stable`, or `dup`
 * (both; where one name means two things, `rpc.method`, the stable value is kept).
 */
export type SemconvMode = 'old' | 'stable' | 'dup';

/** The mode `OTEL_SEMCONV_STABILITY_OPT_IN` asks for (`rpc/dup` wins over `rpc`). */
export function semconvModeFromEnv(
  value: string | undefined = process.env['OTEL_SEMCONV_STABILITY_OPT_IN'],
): SemconvMode {
  if (value === undefined) return 'old';
  const entries = value.split(',').map((entry) => entry.trim().toLowerCase());
  if (entries.includes('rpc/dup')) return 'dup';
  return entries.includes('rpc') ? 'stable' : 'old';
}
