import { ConfigModule } from '@nestjs/config';
import { validateEnvironment } from '../config/validate-environment';

/**
 * The validated environment, for every entry point (service and repair): a bad setting stops the boot
 * with a message naming the variable. Evaluated when the importing module is, so the environment must
 * be set before `AppModule` or `RepairModule` is first imported.
 */
export function configuration() {
  return ConfigModule.forRoot({ isGlobal: true, cache: true, validate: validateEnvironment });
}
