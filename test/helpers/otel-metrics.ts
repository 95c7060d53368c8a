import { type Attributes } from '@opentelemetry/api';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';

/** A reader the test collects from by hand (cumulative temporality, the SDK's default). */
export class ManualMetricReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** An SDK meter provider and its reader. */
export function testMeterProvider(): { provider: MeterProvider; reader: ManualMetricReader } {
  const reader = new ManualMetricReader();
  return { provider: new MeterProvider({ readers: [reader] }), reader };
}

/** What one collection holds, by instrument name. */
export class CollectedMetrics {
  constructor(
    readonly metrics: readonly MetricData[],
    /** The instrumentation scope names that recorded something. */
    readonly scopes: readonly string[] = [],
  ) {}

  static async of(reader: MetricReader): Promise<CollectedMetrics> {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new Error(`metric collection failed: ${String(errors[0])}`);
    const scopes = resourceMetrics.scopeMetrics;
    return new CollectedMetrics(
      scopes.flatMap((scope) => scope.metrics),
      scopes.map((scope) => scope.scope.name),
    );
  }

  /** The instrument names that have at least one point. */
  names(): string[] {
    return this.metrics.filter((m) => m.dataPoints.length > 0).map((m) => m.descriptor.name);
  }

  metric(name: string): MetricData | undefined {
    return this.metrics.find((m) => m.descriptor.name === name);
  }

  /** The attributes of every point of `name`. */
  attributes(name: string): Attributes[] {
    return (this.metric(name)?.dataPoints ?? []).map((p) => p.attributes);
  }

  /** The sum of a counter's (or up-down counter's) points whose attributes include `match`. */
  sum(name: string, match: Attributes = {}): number {
    const metric = this.metric(name);
    if (metric === undefined) return 0;
    if (metric.dataPointType !== DataPointType.SUM) throw new Error(`${name} is not a sum`);
    return metric.dataPoints
      .filter((p) => includes(p.attributes, match))
      .reduce((total, p) => total + p.value, 0);
  }

  /** A histogram's count, sum, min and max over the points whose attributes include `match`. */
  histogram(
    name: string,
    match: Attributes = {},
  ): { count: number; sum: number; min: number; max: number } {
    const metric = this.metric(name);
    const result = { count: 0, sum: 0, min: Infinity, max: -Infinity };
    if (metric === undefined) return result;
    if (metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${name}: no histogram`);
    for (const point of metric.dataPoints) {
      if (!includes(point.attributes, match)) continue;
      result.count += point.value.count;
      result.sum += point.value.sum ?? 0;
      result.min = Math.min(result.min, point.value.min ?? Infinity);
      result.max = Math.max(result.max, point.value.max ?? -Infinity);
    }
    return result;
  }
}

function includes(attributes: Attributes, match: Attributes): boolean {
  return Object.entries(match).every(([key, value]) => {
    const actual = attributes[key];
    return Array.isArray(value)
      ? JSON.stringify(actual) === JSON.stringify(value)
      : actual === value;
  });
}
