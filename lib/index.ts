/**
 * nestjs-ttstream: a NestJS transport for CloudWeGo Kitex TTHeader Streaming.
 * @packageDocumentation
 */
export * from './errors/index.js';
