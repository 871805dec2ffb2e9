export class LarkfeedError extends Error {}

export interface App { app_id: string; app_secret: string; name: string; users: User[]; [k: string]: unknown }
export interface User { name: string; open_id: string; union_id: string; user_id: string; [k: string]: unknown }
export interface Change { kind: string; at_ms: number; [k: string]: unknown }

export class Larkfeed {
  baseUrl: string;
  request(method: string, path: string, body?: unknown, tenant?: string): Promise<any>;
  tenant(world?: object): Promise<Tenant>;
  stop(): Promise<void>;
}

export class Tenant {
  key: string;
  apps: App[];
  app: App;
  users: User[];
  seen: Change[];
  waitFor(kind: string, match?: (c: any) => boolean, timeoutMs?: number): Promise<any>;
  act(name: string, body: object): Promise<any>;
  user(who: number | string | User): User;
  say(who: number | string | User, text: string, app?: App): Promise<any>;
  click(who: number | string | User, messageId: string, value: unknown, tag?: string): Promise<any>;
  pointAppAt(eventUrl: string, callbackUrl?: string, app?: App): Promise<any>;
  requests(limit?: number): Promise<any[]>;
  deliveries(limit?: number): Promise<any[]>;
  client(app?: App, options?: object): any;
  delete(): Promise<void>;
}

export function startLarkfeed(options?: { args?: string[] }): Promise<Larkfeed>;
export function tenant(world?: object): Promise<Tenant>;
export function findBinary(): string;
