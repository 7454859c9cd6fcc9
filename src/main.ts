import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app/app.module';
import type { Environment } from './config/environment';
import { configureApp } from './interfaces/http/configure-app';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: false });
  const config = app.get(ConfigService<Environment, true>);
  app.useLogger([...logLevels(config.get('LOG_LEVEL', { infer: true }))]);
  configureApp(app);
  app.enableShutdownHooks();

  await app.listen(config.get('PORT', { infer: true }), config.get('HOST', { infer: true }));
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.get('PORT', { infer: true });
  const host = config.get('HOST', { infer: true });
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  new Logger('Bootstrap').log(`patient-centric-emr listening on http://${shown}:${port} (docs at /docs)`);
}

const LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
function logLevels(level: string): (typeof LEVELS)[number][] {
  return LEVELS.slice(0, LEVELS.indexOf(level as (typeof LEVELS)[number]) + 1);
}

bootstrap().catch((error: unknown) => {
  // Configuration errors name the variable, never its value.
  new Logger('Bootstrap').error(error instanceof Error ? error.message : 'Startup failed');
  process.exit(1);
});
