import { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '../../config/environment';

/** JSON bodies are small (consents, enrolments); files travel as multipart. */
export const JSON_BODY_LIMIT = '64kb';
export const WEB_ROOT = join(__dirname, '..', 'web', 'public');

/**
 * Everything about the HTTP surface that is not a module: security headers, body
 * limits, the web page and OpenAPI. main.ts and the e2e suites both call this, so
 * tests exercise the same app that runs.
 */
export function configureApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  const config = app.get(ConfigService<Environment, true>);

  express.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  express.useBodyParser('urlencoded', { limit: JSON_BODY_LIMIT, extended: false });
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

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('patient-centric-emr')
      .setDescription('Encrypted, signed medical records on two EVM ledgers (SUPchain and MEDchain).')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
