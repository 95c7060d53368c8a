/**
 * Context for README code blocks that are fragments. A block preceded by the HTML comment
 * `<!-- readme-preamble: name -->` (names separated by commas) is type-checked with these texts
 * in front of it. Keep them to imports and `declare`s: they stand for what the reader already has.
 */
export const README_PREAMBLES: Readonly<Record<string, string>> = {
  // "Server and client, next to Kitex": a controller and a client call side by side.
  'kitex-comparison': `
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ApplicationException,
  BizStatusError,
  fromBizStatusError,
  StreamPattern,
  type TTStreamClient,
  type TTStreamContext,
  type TTStreamServiceClient,
} from 'nestjs-ttstream';
import { type Request, type TestServiceClient } from './generated/echo.js';
declare const client: TTStreamClient;
`,
  // "Unary and oneway methods": @MessagePattern / @EventPattern handlers and client calls.
  unary: `
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  BizStatusError,
  type TTStreamClient,
  type TTStreamContext,
  type TTStreamServiceClient,
} from 'nestjs-ttstream';
import {
  EchoException,
  type Request,
  type Response,
  type TestServiceClient,
} from './generated/echo.js';
declare const client: TTStreamClient;
`,
  // "Fleets": client options with a resolver and a balancer.
  discovery: `
import {
  SmoothWeightedRoundRobinBalancer,
  StaticResolver,
  type ThriftIdl,
  type TTStreamClientOptions,
} from 'nestjs-ttstream';
declare const idl: ThriftIdl;
`,
  // "etcd": a server registered in etcd.
  etcd: `
import { EtcdRegistry, EtcdResolver, type ThriftIdl, TTStreamServer } from 'nestjs-ttstream';
declare const idl: ThriftIdl;
`,
  // "Tracing and metrics": the telemetry option and plug-ins.
  telemetry: `
import { type Resolver, openTelemetry, TTStreamClient, TTStreamServer } from 'nestjs-ttstream';
import { echoIdl } from './app.module.js';
declare const resolver: Resolver;
`,
  // "Scale-out on one machine": a Nest app under node:cluster, registered by the primary.
  cluster: `
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions } from '@nestjs/microservices';
import { EtcdRegistry, type ThriftIdl, TTStreamServer } from 'nestjs-ttstream';
declare const idl: ThriftIdl;
declare class AppModule {}
`,
};
