// The few types of @nestjs/config that the README's examples use. test/docs/readme-check.ts
// type-checks the examples against this file only while @nestjs/config is not installed.
/* eslint-disable @typescript-eslint/no-extraneous-class, @typescript-eslint/no-unnecessary-type-parameters --
   the shapes of @nestjs/config's API */
import { type DynamicModule } from '@nestjs/common';

export interface ConfigModuleOptions {
  readonly isGlobal?: boolean;
  readonly envFilePath?: string | string[];
  readonly ignoreEnvFile?: boolean;
  readonly cache?: boolean;
}

export declare class ConfigModule {
  static forRoot(options?: ConfigModuleOptions): DynamicModule;
}

export declare class ConfigService {
  get<T = unknown>(propertyPath: string): T | undefined;
  get<T = unknown>(propertyPath: string, defaultValue: NoInfer<T>): Exclude<T, undefined>;
  getOrThrow<T = unknown>(propertyPath: string): Exclude<T, undefined>;
}
