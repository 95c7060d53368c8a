import { AbstractHttpAdapter } from '@nestjs/core';

/** An HTTP adapter that serves nothing: enough for a hybrid app that never listens on HTTP. */
export class NoopHttpAdapter extends AbstractHttpAdapter {
  close() {}
  initHttpServer() {}
  useStaticAssets() {}
  setViewEngine() {}
  getRequestHostname() {}
  getRequestMethod() {}
  getRequestUrl() {}
  status() {}
  reply() {}
  end() {}
  render() {}
  redirect() {}
  setErrorHandler() {}
  setNotFoundHandler() {}
  isHeadersSent() {}
  getHeader() {}
  setHeader() {}
  appendHeader() {}
  registerParserMiddleware() {}
  enableCors() {}
  createMiddlewareFactory() {
    return () => undefined;
  }
  getType() {
    return 'noop';
  }
  applyVersionFilter() {
    return () => () => undefined;
  }
}
