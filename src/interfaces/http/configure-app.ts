import { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Environment } from '../../config/environment';
import { refuseDeepJson, requireJsonOrMultipart } from './validation';

/** JSON bodies are small (consents, enrolments); files travel as multipart. */
export const JSON_BODY_LIMIT = '64kb';
export const WEB_ROOT = join(__dirname, '..', 'web', 'public');
/**
 * The service's media rules compiled for the page (`tsc -p tsconfig.page-rules.json`, part of
 * `npm run compile`): <repo>/dist/page-rules, reached from src/interfaces/http (ts-node) and
 * from dist/src/interfaces/http (compiled) alike.
 */
export const PAGE_RULES_ROOT = [
  join(__dirname, '..', '..', '..', 'dist', 'page-rules'),
  join(__dirname, '..', '..', '..', 'page-rules'),
].find((candidate) => existsSync(candidate));

/**
 * Everything about the HTTP surface that is not a module: security headers, body
 * limits, the web page and OpenAPI. main.ts and the e2e suites both call this, so
 * tests exercise the same app that runs.
 */
export function configureApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  const config = app.get(ConfigService<Environment, true>);

  applyServerTimeouts(express.getHttpServer() as Server, config);
  express.use('/api', requireJsonOrMultipart);
  express.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  // Registered so Nest does not add its default extended (nested) form parser; /api refuses forms above.
  express.useBodyParser('urlencoded', { limit: JSON_BODY_LIMIT, extended: false });
  express.use(refuseDeepJson);
  if (config.get('TRUST_PROXY', { infer: true })) express.set('trust proxy', 1);
  express.disable('x-powered-by');

  // The page needs only 'self' and blob: (records are shown from blob URLs); Swagger UI at
  // /docs styles itself inline, so only /docs gets 'unsafe-inline' for styles.
  const strict = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'blob:'],
        'object-src': ['blob:'],
        'frame-src': ['blob:'],
        'connect-src': ["'self'"],
        'font-src': ["'self'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  const docs = helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        // TLS is terminated in front of the service; on plain-HTTP localhost this would break the page.
        'upgrade-insecure-requests': null,
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  express.use((request: Request, response: Response, next: NextFunction) =>
    (request.path === '/docs' || request.path.startsWith('/docs/') || request.path.startsWith('/docs-')
      ? docs
      : strict)(request, response, next),
  );

  const origins = config
    .get('CORS_ORIGINS', { infer: true })
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length > 0)
    express.enableCors({ origin: origins, exposedHeaders: ['Location', 'X-Record-Id', 'ETag', 'Retry-After'] });

  if (existsSync(WEB_ROOT)) express.useStaticAssets(WEB_ROOT, { index: 'index.html', fallthrough: true });
  // tsc emits extensionless imports ('./media-type'): `extensions` lets them resolve to the .js files.
  if (PAGE_RULES_ROOT)
    express.useStaticAssets(PAGE_RULES_ROOT, { prefix: '/rules', extensions: ['js'], index: false, fallthrough: true });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('patient-centric-emr')
      .setDescription('Encrypted, signed medical records on two EVM ledgers (SUPchain and MEDchain).')
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque',
        description:
          'An opaque token: emr_… for patients and providers (shown once, to its holder, by POST /api/v1/claims), or the ADMIN_TOKEN.',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/**
 * Slow clients must not hold sockets: headers within HTTP_HEADERS_TIMEOUT_MS, the whole request
 * within HTTP_REQUEST_TIMEOUT_MS (Node answers 408 and closes), idle keep-alive connections
 * closed after HTTP_KEEP_ALIVE_TIMEOUT_MS. Node checks the first two every
 * connectionsCheckingInterval (30 s by default, read when the server starts listening), so the
 * check runs often enough for the configured headers timeout to hold.
 */
function applyServerTimeouts(server: Server, config: ConfigService<Environment, true>): void {
  server.headersTimeout = config.get('HTTP_HEADERS_TIMEOUT_MS', { infer: true });
  server.requestTimeout = config.get('HTTP_REQUEST_TIMEOUT_MS', { infer: true });
  server.keepAliveTimeout = config.get('HTTP_KEEP_ALIVE_TIMEOUT_MS', { infer: true });
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    100,
    Math.min(30_000, Math.floor(server.headersTimeout / 4)),
  );
}
