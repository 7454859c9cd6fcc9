import { provide, provideFactory } from './provide';

abstract class Inbox {
  abstract receive(): string;
}
abstract class Outbox {
  abstract send(message: string): void;
}
class FixedInbox extends Inbox {
  receive(): string {
    return 'hello';
  }
}
class NullOutbox extends Outbox {
  send(): void {}
}
class Relay {
  constructor(
    readonly inbox: Inbox,
    readonly outbox: Outbox,
  ) {}
}

describe('provide', () => {
  it('binds the class to a factory that gets the injected instances in the tokens’ order', () => {
    const provider = provide(Relay, [Inbox, Outbox]);
    const inbox = new FixedInbox();
    const outbox = new NullOutbox();

    const relay = provider.useFactory(inbox, outbox) as Relay;

    expect(provider.provide).toBe(Relay);
    expect(provider.inject).toEqual([Inbox, Outbox]);
    expect(relay).toBeInstanceOf(Relay);
    expect(relay.inbox).toBe(inbox);
    expect(relay.outbox).toBe(outbox);
  });
});

describe('provideFactory', () => {
  it('binds the token to the factory, injecting the tokens in order', async () => {
    const outbox = new NullOutbox();
    const provider = provideFactory(Relay, [Outbox], (injected) => new Relay(new FixedInbox(), injected));

    const relay = (await provider.useFactory(outbox)) as Relay;

    expect(provider.provide).toBe(Relay);
    expect(provider.inject).toEqual([Outbox]);
    expect(relay.outbox).toBe(outbox);
  });
});
