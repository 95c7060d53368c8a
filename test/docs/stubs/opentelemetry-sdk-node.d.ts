// The part of @opentelemetry/sdk-node that the README's examples use. test/docs/readme-check.ts
// type-checks the examples against this file only while @opentelemetry/sdk-node is not installed.
export interface NodeSDKConfiguration {
  readonly serviceName: string;
}

export declare class NodeSDK {
  constructor(configuration?: Partial<NodeSDKConfiguration>);
  start(): void;
  shutdown(): Promise<void>;
}
