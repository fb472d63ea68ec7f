import { createHash } from 'node:crypto';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyObject,
} from 'jose';
import { SluiceError } from '../domain/errors.js';
import { ForbiddenError, UnauthorizedError, UnavailableError } from './errors.js';

// Who is calling: a bearer JWT from an OIDC issuer (or signed with a configured key), or a
// static token that the configuration holds only as a SHA-256 hash.

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Caller {
  subject: string;
  /** Undefined: authenticated, but no role was granted (every route answers 403). */
  role: Role | undefined;
  via: 'jwt' | 'token';
}

export interface Authenticator {
  /** Throws UnauthorizedError when the credentials are missing or wrong. */
  authenticate(authorization: string | undefined, signal?: AbortSignal): Promise<Caller>;
}

export interface StaticTokenConfig {
  /** Hex SHA-256 of the token (see hashToken); the token itself is never configured. */
  sha256: string;
  subject: string;
  role: Role;
}

export interface JwtConfig {
  issuer: string;
  audience: string;
  /** The issuer's JWKS URL; or give `key`. */
  jwksUrl?: string;
  key?: CryptoKey | KeyObject | Uint8Array;
  /** Default ['RS256', 'ES256', 'EdDSA'] (HS256 only makes sense with a Uint8Array key). */
  algorithms?: string[];
  /** A claim holding a role name directly. Default 'sluice_role'. */
  roleClaim?: string;
  /** A claim holding a list of groups. Default 'groups'. */
  groupsClaim?: string;
  /** Group name → role. */
  groupRoles?: Record<string, Role>;
  /** Subject (`sub`) → role, from configuration. */
  subjectRoles?: Record<string, Role>;
  clockToleranceSeconds?: number;
  /** Per-call limit for fetching the JWKS. Default 5000 ms. */
  jwksTimeoutMs?: number;
}

export interface AuthConfig {
  jwt?: JwtConfig;
  staticTokens?: StaticTokenConfig[];
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function roleAtLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export function requireRole(caller: Caller, needed: Role): void {
  if (!roleAtLeast(caller.role, needed))
    throw new ForbiddenError(
      `${caller.subject} has role ${caller.role ?? 'none'}; this needs ${needed} or higher`,
      { details: { role: caller.role ?? null, needed } },
    );
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function createAuthenticator(config: AuthConfig): Authenticator {
  const tokens = new Map<string, StaticTokenConfig>();
  for (const t of config.staticTokens ?? []) {
    if (!/^[0-9a-f]{64}$/.test(t.sha256))
      throw new Error(`static token for ${t.subject}: sha256 must be 64 lower-case hex digits`);
    tokens.set(t.sha256, t);
  }
  const jwt = config.jwt;
  const keySource = jwt ? jwtKeySource(jwt) : undefined;

  return {
    async authenticate(authorization) {
      const token = bearerToken(authorization);
      const entry = tokens.get(hashToken(token));
      if (entry) return { subject: entry.subject, role: entry.role, via: 'token' };
      if (!jwt || !keySource || token.split('.').length !== 3)
        throw new UnauthorizedError('the bearer token is not valid');
      const payload = await verifyJwt(token, jwt, keySource);
      return { subject: payload.sub ?? 'unknown', role: roleFromClaims(payload, jwt), via: 'jwt' };
    },
  };
}

function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '')
    throw new UnauthorizedError('credentials required: send "Authorization: Bearer <token>"');
  const m = /^Bearer +([\x21-\x7e]{1,8192})$/i.exec(authorization.trim());
  if (!m) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"');
  return m[1] as string;
}

type KeySource = CryptoKey | KeyObject | Uint8Array | JWTVerifyGetKey;

function jwtKeySource(jwt: JwtConfig): KeySource {
  if (jwt.key) return jwt.key;
  if (!jwt.jwksUrl) throw new Error('auth.jwt needs jwksUrl or key');
  return createRemoteJWKSet(new URL(jwt.jwksUrl), {
    timeoutDuration: jwt.jwksTimeoutMs ?? 5000,
    cooldownDuration: 30_000,
  });
}

async function verifyJwt(token: string, jwt: JwtConfig, key: KeySource): Promise<JWTPayload> {
  const options = {
    issuer: jwt.issuer,
    audience: jwt.audience,
    algorithms: jwt.algorithms ?? ['RS256', 'ES256', 'EdDSA'],
    clockTolerance: jwt.clockToleranceSeconds ?? 30,
    requiredClaims: ['exp', 'sub'],
  };
  try {
    const result =
      typeof key === 'function'
        ? await jwtVerify(token, key, options)
        : await jwtVerify(token, key, options);
    return result.payload;
  } catch (err) {
    throw classifyJwtError(err);
  }
}

function classifyJwtError(err: unknown): SluiceError {
  if (err instanceof joseErrors.JWKSTimeout)
    return new UnavailableError('the OIDC issuer did not answer in time', { cause: err });
  if (err instanceof joseErrors.JWTExpired)
    return new UnauthorizedError('the token has expired', { cause: err });
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return new UnauthorizedError(`the token's "${err.claim}" claim is not accepted`, {
      cause: err,
    });
  if (err instanceof joseErrors.JOSEError)
    return new UnauthorizedError('the token is not valid', { cause: err });
  // fetch failures while loading the JWKS
  return new UnavailableError('cannot fetch the OIDC issuer keys', { cause: err });
}

function roleFromClaims(payload: JWTPayload, jwt: JwtConfig): Role | undefined {
  const found: Role[] = [];
  const direct = payload[jwt.roleClaim ?? 'sluice_role'];
  if (isRole(direct)) found.push(direct);
  const groups = payload[jwt.groupsClaim ?? 'groups'];
  if (Array.isArray(groups))
    for (const g of groups) {
      const role = typeof g === 'string' ? jwt.groupRoles?.[g] : undefined;
      if (role) found.push(role);
    }
  const bySubject = payload.sub ? jwt.subjectRoles?.[payload.sub] : undefined;
  if (bySubject) found.push(bySubject);
  return found.reduce<Role | undefined>((best, r) => (roleAtLeast(best, r) ? best : r), undefined);
}
