import type { FactoryProvider } from '@nestjs/common';

/** A class or an abstract class (a port): Nest's injection token, standing for an instance of `T`. */
export type Token<T = unknown> = abstract new (...args: never[]) => T;

/** The tokens that stand for a parameter list, position by position (optional parameters stay optional). */
export type TokensFor<Params extends readonly unknown[]> = { readonly [K in keyof Params]: Token<Params[K]> };

/** The instances a token list stands for, position by position. */
export type InstancesOf<Tokens extends readonly Token[]> = {
  -readonly [K in keyof Tokens]: Tokens[K] extends Token<infer T> ? T : never;
};

/**
 * Binds `type` to `new type(...deps)`, with `inject` checked against its constructor by the compiler:
 * a swapped pair, a missing or an extra token fails `tsc` (test/typecheck/provide.typecheck.ts shows it).
 * Nest's own `inject: [...]` is an untyped list, so a reordered constructor used to compile and only
 * misbehave at run time.
 */
export function provide<C extends new (...args: never[]) => unknown>(
  type: C,
  inject: TokensFor<ConstructorParameters<C>>,
): FactoryProvider<InstanceType<C>> {
  return {
    provide: type,
    inject: [...inject],
    useFactory: (...deps: ConstructorParameters<C>) => new type(...deps) as InstanceType<C>,
  };
}

/**
 * Binds `token` to what `factory` builds from the instances of `inject`, for the few classes that also
 * take a setting or a logger: the factory's parameters are typed by `inject`, so they cannot drift apart.
 */
export function provideFactory<T, const Tokens extends readonly Token[]>(
  token: Token<T>,
  inject: Tokens,
  factory: (...deps: InstancesOf<Tokens>) => T | Promise<T>,
): FactoryProvider<T> {
  return {
    provide: token,
    inject: [...inject],
    useFactory: factory as (...deps: unknown[]) => T | Promise<T>,
  };
}
