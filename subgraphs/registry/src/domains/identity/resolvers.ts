import { labError, scopesBeyond } from '@lab/shared';
import { atLeast, type Role } from '../../access/access';
import { decodeCursor, pageSize, sortValueOf, toConnection } from '../../common/pagination';
import { writing } from '../../common/prismaErrors';
import type { RegistryResolvers } from '../../common/resolvers';
import { checkDescription, checkId, checkJsonObject, checkName } from '../../common/validation';
import type { RegistryContext } from '../../context';
import type { User } from '../../generated/prisma/client';
import type { ApiKey, EntityKind, Project, ProjectMember, ProjectOrderField, UserOrderField } from '../../store/identityStore';
import { actingCredential } from './actingCredential';
import { newApiKeySecret } from './apiKeys';
import {
  checkEmail,
  checkExpiresAt,
  checkKeyHash,
  checkKeyIds,
  checkKeyName,
  checkOwnershipRefs,
  checkPersonName,
  checkScopes,
  checkSearch,
} from './validation';

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

const ORDER_FIELDS: Record<string, ProjectOrderField> = { CREATED_AT: 'createdAt', UPDATED_AT: 'updatedAt', NAME: 'name' };
const USER_ORDER_FIELDS: Record<string, UserOrderField> = { CREATED_AT: 'createdAt', EMAIL: 'email', NAME: 'name' };

/** What the gateway learns about a live key. */
const authenticatedCaller = (found: { key: ApiKey; user: User }) => ({
  apiKeyId: found.key.id,
  userId: found.user.id,
  isAdmin: found.user.isAdmin,
  scopes: found.key.scopes,
  expiresAt: found.key.expiresAt,
});

async function requireUser(ctx: RegistryContext, id: string): Promise<User> {
  const user = await ctx.loaders.users.load(id);
  if (!user) throw labError('NOT_FOUND', `user ${id} not found`, { entity: 'user' });
  return user;
}

/** A user the caller may see: themself, anyone sharing a project with them, anyone for admins and services. */
async function visibleUser(ctx: RegistryContext, rawId: string): Promise<User> {
  const id = checkId('user', rawId);
  const user = await requireUser(ctx, id);
  if (ctx.access.isSuperuser || id === ctx.caller.id) return user;
  if (await ctx.store.identity.shareAProject(ctx.caller.id, id)) return user;
  throw labError('NOT_FOUND', `user ${id} not found`, { entity: 'user' });
}

/** A project the caller has at least `role` in: NOT_FOUND when not a member (or unknown), FORBIDDEN when the role is too low. */
async function projectFor(ctx: RegistryContext, rawId: string, role: Role): Promise<Project> {
  const id = checkId('project', rawId);
  await ctx.access.require(id, role, `project ${id}`);
  const project = await ctx.loaders.projects.load(id);
  if (!project) throw labError('NOT_FOUND', `project ${id} not found`, { entity: 'project' });
  return project;
}

function isLive(key: ApiKey, now = new Date()): boolean {
  return key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now);
}

async function changeMember(ctx: RegistryContext, projectId: string, userId: string, role: Role | null) {
  const result = await ctx.store.identity.changeMember(projectId, userId, role);
  ctx.access.forget();
  ctx.loaders.membersOfProject.clear(projectId);
  if (result === 'NOT_MEMBER') throw labError('NOT_FOUND', `user ${userId} is not a member of project ${projectId}`);
  if (result === 'LAST_OWNER') {
    throw labError('CONFLICT', `user ${userId} is the last OWNER of project ${projectId}: make another member OWNER first`);
  }
  return result;
}

export const identityResolvers: RegistryResolvers = {
  Query: {
    me: (_parent: unknown, _args: unknown, ctx: RegistryContext) => ctx.loaders.users.load(ctx.caller.id),

    user: (_p: unknown, args: { id: string }, ctx: RegistryContext) => visibleUser(ctx, args.id),

    users: async (
      _p: unknown,
      args: PageArgs & {
        filter?: { search?: string | null } | null;
        orderBy?: { field?: string | null; direction?: 'ASC' | 'DESC' | null } | null;
      },
      ctx: RegistryContext,
    ) => {
      const first = pageSize(args.first);
      const cursor = decodeCursor(args.after);
      const field = USER_ORDER_FIELDS[args.orderBy?.field ?? 'CREATED_AT'] ?? 'createdAt';
      const direction = args.orderBy?.direction ?? 'DESC';
      const scope = {
        search: checkSearch('filter.search', args.filter?.search),
        inProjects: await ctx.access.readableProjects(),
        alsoUserId: ctx.caller.id,
      };
      const rows = await ctx.store.identity.listUsers({ ...scope, field, direction, first, cursor });
      return toConnection(
        rows,
        first,
        (u) => sortValueOf(u[field]),
        () => ctx.store.identity.countUsers(scope),
        cursor !== undefined,
      );
    },

    project: (_p: unknown, args: { id: string }, ctx: RegistryContext) => projectFor(ctx, args.id, 'VIEWER'),

    projects: async (
      _p: unknown,
      args: PageArgs & {
        filter?: { search?: string | null; metadataContains?: unknown } | null;
        orderBy?: { field?: string | null; direction?: 'ASC' | 'DESC' | null } | null;
      },
      ctx: RegistryContext,
    ) => {
      const first = pageSize(args.first);
      const cursor = decodeCursor(args.after);
      const field = ORDER_FIELDS[args.orderBy?.field ?? 'CREATED_AT'] ?? 'createdAt';
      const direction = args.orderBy?.direction ?? 'DESC';
      const scope = {
        search: checkSearch('filter.search', args.filter?.search),
        metadataContains: checkJsonObject('filter.metadataContains', args.filter?.metadataContains),
        only: await ctx.access.readableProjects(),
      };
      const rows = await ctx.store.identity.listProjects({ ...scope, field, direction, first, cursor });
      return toConnection(
        rows,
        first,
        (p) => sortValueOf(p[field]),
        () => ctx.store.identity.countProjects(scope),
        cursor !== undefined,
      );
    },

    _authenticate: async (_p: unknown, args: { keyHash: string }, ctx: RegistryContext) => {
      if (ctx.caller.kind !== 'service') throw labError('FORBIDDEN', '_authenticate is for internal services only');
      const found = await ctx.store.identity.authenticate(checkKeyHash(args.keyHash));
      return found ? authenticatedCaller(found) : null;
    },

    _liveApiKeys: async (_p: unknown, args: { ids: string[] }, ctx: RegistryContext) => {
      if (ctx.caller.kind !== 'service') throw labError('FORBIDDEN', '_liveApiKeys is for internal services only');
      return (await ctx.store.identity.liveApiKeys(checkKeyIds(args.ids))).map(authenticatedCaller);
    },

    _ownership: async (_p: unknown, args: { refs: { kind: EntityKind; id: string }[] }, ctx: RegistryContext) => {
      const refs = checkOwnershipRefs(args.refs);
      const kinds = [...new Set(refs.map((r) => r.kind))];
      const ownersByKind = new Map(
        await Promise.all(
          kinds.map(
            async (kind) =>
              [
                kind,
                await ctx.store.identity.ownersOf(
                  kind,
                  refs.filter((r) => r.kind === kind).map((r) => r.id),
                ),
              ] as const,
          ),
        ),
      );
      return Promise.all(
        refs.map(async (ref) => {
          const owner = ownersByKind.get(ref.kind)?.get(ref.id.toLowerCase());
          const role = owner ? await ctx.access.roleIn(owner.projectId) : null;
          // Unknown and hidden look alike, so ids cannot be probed.
          if (!owner || role === null) {
            return { projectId: null, parentId: null, canRead: false, canWrite: false, canManage: false };
          }
          return { ...owner, canRead: true, canWrite: atLeast(role, 'EDITOR'), canManage: atLeast(role, 'OWNER') };
        }),
      );
    },
  },

  Mutation: {
    createUser: async (
      _p: unknown,
      args: { input: { email: string; name: string; isAdmin?: boolean | null } },
      ctx: RegistryContext,
    ) => {
      if (!(await actingCredential(ctx)).isAdmin) throw labError('FORBIDDEN', 'Only admins may create users');
      const email = checkEmail('input.email', args.input.email);
      const name = checkPersonName('input.name', args.input.name);
      return writing(`user with email "${email}"`, () =>
        ctx.store.identity.createUser({ email, name, isAdmin: args.input.isAdmin ?? false }),
      );
    },

    createApiKey: async (
      _p: unknown,
      args: { input: { name: string; scopes?: string[] | null; expiresAt?: Date | null; userId?: string | null } },
      ctx: RegistryContext,
    ) => {
      const callerId = ctx.access.requireUser('create API keys');
      const name = checkKeyName('input.name', args.input.name);
      // The credential making the request, as it is now (not as the gateway cached it).
      const acting = await actingCredential(ctx);
      // A key grants at most the scopes of the credential creating it (left out: the same scopes) ...
      const scopes = args.input.scopes == null ? [...acting.scopes] : checkScopes('input.scopes', args.input.scopes);
      const beyond = scopesBeyond(acting.scopes, scopes);
      if (beyond.length > 0) {
        throw labError('FORBIDDEN', `A key may not grant scopes its creator lacks: ${beyond.join(', ')}`);
      }
      // ... and outlives it by nothing (left out: the same expiry).
      const expiresAt = checkExpiresAt('input.expiresAt', args.input.expiresAt) ?? acting.expiresAt;
      if (acting.expiresAt && (expiresAt === null || expiresAt > acting.expiresAt)) {
        throw labError(
          'FORBIDDEN',
          `A key may not outlive the credential that creates it: input.expiresAt must be at most ${acting.expiresAt.toISOString()}`,
        );
      }
      const userId = args.input.userId ? checkId('user', args.input.userId) : callerId;
      if (userId !== callerId && !acting.isAdmin) throw labError('FORBIDDEN', 'Only admins may create API keys for other users');
      await requireUser(ctx, userId);
      const { secret, prefix, hash } = newApiKeySecret();
      const apiKey = await writing(`API key "${name}"`, () =>
        ctx.store.identity.createApiKey({ userId, name, prefix, hash, scopes, expiresAt }, { actingKeyId: acting.apiKeyId }),
      );
      ctx.log.info({ apiKeyId: apiKey.id, userId, prefix }, 'API key created');
      return { apiKey, secret };
    },

    revokeApiKey: async (_p: unknown, args: { id: string }, ctx: RegistryContext) => {
      const id = checkId('API key', args.id);
      const acting = await actingCredential(ctx);
      const key = await ctx.loaders.apiKeys.load(id);
      if (!key || (key.userId !== ctx.caller.id && !acting.isAdmin && ctx.caller.kind !== 'service')) {
        throw labError('NOT_FOUND', `API key ${id} not found`, { entity: 'API key' });
      }
      const revoked = await ctx.store.identity.revokeApiKey(id);
      if (key.revokedAt === null) ctx.log.info({ apiKeyId: id, prefix: key.prefix }, 'API key revoked');
      return revoked;
    },

    createProject: async (
      _p: unknown,
      args: { input: { name: string; description?: string | null; metadata?: unknown } },
      ctx: RegistryContext,
    ) => {
      const ownerId = ctx.access.requireUser('create projects');
      const name = checkName('input.name', args.input.name);
      const description = checkDescription('input.description', args.input.description);
      const metadata = checkJsonObject('input.metadata', args.input.metadata);
      await requireUser(ctx, ownerId);
      const project = await writing(`project "${name}"`, () =>
        ctx.store.identity.createProject({ name, description, metadata }, ownerId),
      );
      ctx.access.forget();
      return project;
    },

    updateProject: async (
      _p: unknown,
      args: { id: string; input: { name?: string | null; description?: string | null; metadata?: unknown } },
      ctx: RegistryContext,
    ) => {
      const project = await projectFor(ctx, args.id, 'EDITOR');
      const input = {
        name: args.input.name === undefined || args.input.name === null ? undefined : checkName('input.name', args.input.name),
        description: checkDescription('input.description', args.input.description),
        metadata: checkJsonObject('input.metadata', args.input.metadata),
      };
      const updated = await writing(`project "${input.name ?? project.name}"`, () =>
        ctx.store.identity.updateProject(project.id, input),
      );
      ctx.loaders.projects.clear(project.id).prime(project.id, updated);
      return updated;
    },

    addProjectMember: async (_p: unknown, args: { projectId: string; userId: string; role: Role }, ctx: RegistryContext) => {
      await actingCredential(ctx);
      const project = await projectFor(ctx, args.projectId, 'OWNER');
      const user = await requireUser(ctx, checkId('user', args.userId));
      const member = await writing(`membership of user ${user.id} in project ${project.id}`, () =>
        ctx.store.identity.addMember(project.id, user.id, args.role),
      );
      ctx.access.forget();
      ctx.loaders.membersOfProject.clear(project.id);
      return member;
    },

    updateProjectMember: async (_p: unknown, args: { projectId: string; userId: string; role: Role }, ctx: RegistryContext) => {
      await actingCredential(ctx);
      const project = await projectFor(ctx, args.projectId, 'OWNER');
      return changeMember(ctx, project.id, checkId('user', args.userId), args.role);
    },

    removeProjectMember: async (_p: unknown, args: { projectId: string; userId: string }, ctx: RegistryContext) => {
      await actingCredential(ctx);
      const userId = checkId('user', args.userId);
      // A member may leave; removing someone else takes OWNER.
      const project = await projectFor(ctx, args.projectId, userId === ctx.caller.id ? 'VIEWER' : 'OWNER');
      await changeMember(ctx, project.id, userId, null);
      return project;
    },
  },

  User: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => ctx.loaders.users.load(ref.id),
    apiKeys: (user: User, _args: unknown, ctx: RegistryContext) => {
      if (user.id !== ctx.caller.id && !ctx.access.isSuperuser) {
        throw labError('FORBIDDEN', 'Only the user and admins may list their API keys');
      }
      return ctx.loaders.apiKeysOfUser.load(user.id);
    },
  },

  ApiKey: {
    __resolveReference: async (ref: { id: string }, ctx: RegistryContext) => {
      const key = await ctx.loaders.apiKeys.load(ref.id);
      return key && (key.userId === ctx.caller.id || ctx.access.isSuperuser) ? key : null;
    },
    active: (key: ApiKey) => isLive(key),
    user: (key: ApiKey, _args: unknown, ctx: RegistryContext) => ctx.loaders.users.load(key.userId),
  },

  Project: {
    __resolveReference: async (ref: { id: string }, ctx: RegistryContext) => {
      const project = await ctx.loaders.projects.load(ref.id);
      return project && (await ctx.access.can(project.id, 'VIEWER')) ? project : null;
    },
    createdBy: (project: Project, _args: unknown, ctx: RegistryContext) => ctx.loaders.users.load(project.createdById),
    myRole: (project: Project, _args: unknown, ctx: RegistryContext) => ctx.access.roleIn(project.id),
    members: (project: Project, _args: unknown, ctx: RegistryContext) => ctx.loaders.membersOfProject.load(project.id),
  },

  ProjectMember: {
    user: (member: ProjectMember, _args: unknown, ctx: RegistryContext) => ctx.loaders.users.load(member.userId),
  },
};
