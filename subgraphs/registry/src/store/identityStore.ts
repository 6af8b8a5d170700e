/** Users, API keys, projects and memberships in PostgreSQL. */

import { labError } from '@lab/shared';
import type { Role } from '../access/access';
import { type Cursor, type Direction, keysetArgs } from '../common/pagination';
import { isUuid } from '../common/validation';
import { BOOTSTRAP_ADMIN_EMAIL, BOOTSTRAP_ADMIN_ID, BOOTSTRAP_ADMIN_NAME } from '../constants';
import { type ApiKey, Prisma, type Project, type ProjectMember, type User } from '../generated/prisma/client';
import { AuditedStore } from './auditedStore';
import { type EntityKind, type EntityOwner, PROJECT_OF } from './projectOf';

export type { ApiKey, EntityKind, EntityOwner, Project, ProjectMember };

export interface Page {
  first: number;
  cursor: Cursor | undefined;
}

export type UserOrderField = 'createdAt' | 'email' | 'name';

export interface UserListOptions extends Page {
  search?: string;
  field: UserOrderField;
  direction: Direction;
  /** Only users in one of these projects (plus `alsoUserId`), or every user. */
  inProjects: string[] | 'all';
  alsoUserId?: string;
}

export type ProjectOrderField = 'createdAt' | 'updatedAt' | 'name';

export interface ProjectListOptions extends Page {
  search?: string;
  metadataContains?: Record<string, unknown>;
  /** Only these projects, or every project. */
  only: string[] | 'all';
  field: ProjectOrderField;
  direction: Direction;
}

export interface NewApiKey {
  userId: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: string[];
  expiresAt: Date | null;
}

/** The key making a request is no longer live (revoked or expired since the gateway checked it). */
export function actingKeyNotLive() {
  return labError('UNAUTHENTICATED', 'The API key making this request is revoked or expired');
}

/** Why a membership write was refused (the resolver turns it into an error). */
export type MembershipRefusal = 'LAST_OWNER' | 'NOT_MEMBER';

/** A membership event: the entity is `<project id>/<user id>`. */
function memberEvent(action: string, projectId: string, userId: string) {
  return { action, entityType: 'ProjectMember', entityId: `${projectId}/${userId}`, projectId };
}

/** A literal for Prisma's `contains` (a LIKE pattern Prisma does not escape): \\, % and _ match themselves. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

export class IdentityStore extends AuditedStore {
  // -- users ----------------------------------------------------------------

  /** Users by id, in the order asked, null where unknown (a DataLoader batch function). */
  async usersByIds(ids: readonly string[]): Promise<(User | null)[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const found = wanted.length > 0 ? await this.prisma.user.findMany({ where: { id: { in: wanted } } }) : [];
    const byId = new Map(found.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  createUser(input: { email: string; name: string; isAdmin: boolean }): Promise<User> {
    return this.withAudit(async (tx, audit) => {
      const user = await tx.user.create({ data: input });
      audit({ action: 'user.create', entityType: 'User', entityId: user.id, change: input });
      return user;
    });
  }

  private userWhere(options: Pick<UserListOptions, 'search' | 'inProjects' | 'alsoUserId'>): Prisma.UserWhereInput {
    const and: Prisma.UserWhereInput[] = [];
    if (options.search) {
      and.push({
        OR: [
          { email: { contains: likeLiteral(options.search), mode: 'insensitive' } },
          { name: { contains: likeLiteral(options.search), mode: 'insensitive' } },
        ],
      });
    }
    if (options.inProjects !== 'all') {
      const visible: Prisma.UserWhereInput[] = [{ memberships: { some: { projectId: { in: options.inProjects } } } }];
      if (options.alsoUserId && isUuid(options.alsoUserId)) visible.push({ id: options.alsoUserId });
      and.push({ OR: visible });
    }
    return { AND: and };
  }

  /** One page of users. */
  async listUsers(options: UserListOptions): Promise<User[]> {
    const toValue = options.field === 'createdAt' ? (v: Cursor['v']) => new Date(String(v)) : (v: Cursor['v']) => v;
    const page = keysetArgs(options.field, options.direction, options.cursor, options.first, toValue);
    return this.prisma.user.findMany({
      where: { AND: [this.userWhere(options), ...(page.after ? [page.after as Prisma.UserWhereInput] : [])] },
      orderBy: page.orderBy as Prisma.UserOrderByWithRelationInput[],
      take: page.take,
    });
  }

  countUsers(options: Pick<UserListOptions, 'search' | 'inProjects' | 'alsoUserId'>): Promise<number> {
    return this.prisma.user.count({ where: this.userWhere(options) });
  }

  /** Whether two users share at least one project. */
  async shareAProject(userId: string, otherUserId: string): Promise<boolean> {
    if (!isUuid(userId) || !isUuid(otherUserId)) return false;
    const shared = await this.prisma.projectMember.findFirst({
      where: { userId: otherUserId, project: { members: { some: { userId } } } },
      select: { projectId: true },
    });
    return shared !== null;
  }

  // -- API keys -------------------------------------------------------------

  /**
   * A new key. With `actingKeyId` (the key making the request), that key is
   * locked FOR SHARE and must still be live in the same transaction: a
   * revocation committed before the insert refuses it, and one racing it
   * waits until the new key is committed (and then revokes nothing it minted
   * after being revoked).
   */
  createApiKey(key: NewApiKey, options: { actingKeyId?: string; now?: Date } = {}): Promise<ApiKey> {
    return this.withAudit(
      async (tx, audit) => {
        if (options.actingKeyId !== undefined) {
          const now = options.now ?? new Date();
          const live = await tx.$queryRaw<{ id: string }[]>`
            SELECT id::text FROM api_keys
            WHERE id = ${options.actingKeyId}::uuid AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${now})
            FOR SHARE`;
          if (live.length === 0) throw actingKeyNotLive();
        }
        const created = await tx.apiKey.create({ data: key });
        const { hash: _hash, ...change } = key; // never the hash
        audit({ action: 'apiKey.create', entityType: 'ApiKey', entityId: created.id, change });
        return created;
      },
      { replayable: false },
    ); // the secret is shown once: a replay could not show it
  }

  async apiKeysByIds(ids: readonly string[]): Promise<(ApiKey | null)[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const found = wanted.length > 0 ? await this.prisma.apiKey.findMany({ where: { id: { in: wanted } } }) : [];
    const byId = new Map(found.map((k) => [k.id, k]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  /** Each user's keys, newest first (a DataLoader batch function). */
  async apiKeysOfUsers(userIds: readonly string[]): Promise<ApiKey[][]> {
    const wanted = [...new Set(userIds.filter(isUuid).map((id) => id.toLowerCase()))];
    const found =
      wanted.length > 0
        ? await this.prisma.apiKey.findMany({
            where: { userId: { in: wanted } },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          })
        : [];
    const byUser = new Map<string, ApiKey[]>();
    for (const key of found) byUser.set(key.userId, [...(byUser.get(key.userId) ?? []), key]);
    return userIds.map((id) => byUser.get(id.toLowerCase()) ?? []);
  }

  /** The live keys (neither revoked nor expired at `now`) among these ids, with their users; none is marked used. */
  async liveApiKeys(ids: readonly string[], now = new Date()): Promise<{ key: ApiKey; user: User }[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    if (wanted.length === 0) return [];
    const found = await this.prisma.apiKey.findMany({
      where: { id: { in: wanted }, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
      include: { user: true },
    });
    return found.map(({ user, ...key }) => ({ key, user }));
  }

  /** Revokes a key once; revoking again keeps the first revocation time. */
  async revokeApiKey(id: string): Promise<ApiKey> {
    return this.withAudit(async (tx, audit) => {
      const { count } = await tx.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
      const key = await tx.apiKey.findUniqueOrThrow({ where: { id } });
      if (count > 0) {
        audit({
          action: 'apiKey.revoke',
          entityType: 'ApiKey',
          entityId: id,
          change: { userId: key.userId, prefix: key.prefix, revokedAt: key.revokedAt },
        });
      }
      return key;
    });
  }

  /**
   * The live key (not revoked, not expired) with this SHA-256 hex hash, and
   * its user; marks it used, at most once a minute (a conditional UPDATE, so
   * concurrent gateways do not write more often either).
   */
  async authenticate(hash: string, now = new Date()): Promise<{ key: ApiKey; user: User } | undefined> {
    const key = await this.prisma.apiKey.findUnique({ where: { hash }, include: { user: true } });
    if (!key || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= now)) return undefined;
    const aMinuteAgo = new Date(now.getTime() - 60_000);
    await this.prisma.apiKey.updateMany({
      where: { id: key.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: aMinuteAgo } }] },
      data: { lastUsedAt: now },
    });
    const { user, ...rest } = key;
    return { key: rest, user };
  }

  // -- projects -------------------------------------------------------------

  async projectsByIds(ids: readonly string[]): Promise<(Project | null)[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const found = wanted.length > 0 ? await this.prisma.project.findMany({ where: { id: { in: wanted } } }) : [];
    const byId = new Map(found.map((p) => [p.id, p]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  /** Creates the project and makes its creator OWNER, in one transaction. */
  createProject(input: { name: string; description?: string; metadata?: Record<string, unknown> }, ownerId: string) {
    return this.withAudit(async (tx, audit) => {
      const project = await tx.project.create({
        data: {
          name: input.name,
          description: input.description ?? '',
          metadata: (input.metadata ?? {}) as Prisma.InputJsonObject,
          createdById: ownerId,
        },
      });
      await tx.projectMember.create({ data: { projectId: project.id, userId: ownerId, role: 'OWNER' } });
      audit({
        action: 'project.create',
        entityType: 'Project',
        entityId: project.id,
        projectId: project.id,
        change: { ...input, ownerId },
      });
      return project;
    });
  }

  updateProject(id: string, input: { name?: string; description?: string; metadata?: Record<string, unknown> }) {
    return this.withAudit(async (tx, audit) => {
      const project = await tx.project.update({
        where: { id },
        data: {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.metadata !== undefined ? { metadata: input.metadata as Prisma.InputJsonObject } : {}),
        },
      });
      audit({ action: 'project.update', entityType: 'Project', entityId: id, projectId: id, change: { ...input } });
      return project;
    });
  }

  private async projectWhere(
    options: Pick<ProjectListOptions, 'search' | 'metadataContains' | 'only'>,
  ): Promise<Prisma.ProjectWhereInput> {
    const and: Prisma.ProjectWhereInput[] = [];
    if (options.only !== 'all') and.push({ id: { in: options.only } });
    if (options.search) {
      and.push({
        OR: [
          { name: { contains: likeLiteral(options.search), mode: 'insensitive' } },
          { description: { contains: likeLiteral(options.search), mode: 'insensitive' } },
        ],
      });
    }
    if (options.metadataContains && Object.keys(options.metadataContains).length > 0) {
      // jsonb @> (served by the GIN index on metadata); Prisma has no object containment filter.
      const rows = await this.prisma.$queryRaw<{ id: string }[]>`
        SELECT id::text FROM projects WHERE metadata @> ${JSON.stringify(options.metadataContains)}::jsonb`;
      and.push({ id: { in: rows.map((r) => r.id) } });
    }
    return { AND: and };
  }

  async listProjects(options: ProjectListOptions): Promise<Project[]> {
    const toValue = options.field === 'name' ? (v: Cursor['v']) => v : (v: Cursor['v']) => new Date(String(v));
    const page = keysetArgs(options.field, options.direction, options.cursor, options.first, toValue);
    return this.prisma.project.findMany({
      where: { AND: [await this.projectWhere(options), ...(page.after ? [page.after as Prisma.ProjectWhereInput] : [])] },
      orderBy: page.orderBy as Prisma.ProjectOrderByWithRelationInput[],
      take: page.take,
    });
  }

  async countProjects(options: Pick<ProjectListOptions, 'search' | 'metadataContains' | 'only'>): Promise<number> {
    return this.prisma.project.count({ where: await this.projectWhere(options) });
  }

  // -- memberships ----------------------------------------------------------

  /** The projects a user belongs to, with the role in each. */
  async membershipsOf(userId: string): Promise<Map<string, Role>> {
    if (!isUuid(userId)) return new Map();
    const rows: Pick<ProjectMember, 'projectId' | 'role'>[] = await this.prisma.projectMember.findMany({
      where: { userId },
      select: { projectId: true, role: true },
    });
    return new Map(rows.map((r) => [r.projectId, r.role]));
  }

  /** Each project's members, owners first then by when they joined (a DataLoader batch function). */
  async membersOfProjects(projectIds: readonly string[]): Promise<ProjectMember[][]> {
    const wanted = [...new Set(projectIds.filter(isUuid).map((id) => id.toLowerCase()))];
    const found =
      wanted.length > 0
        ? await this.prisma.projectMember.findMany({
            where: { projectId: { in: wanted } },
            orderBy: [{ role: 'asc' }, { createdAt: 'asc' }, { userId: 'asc' }],
          })
        : [];
    const byProject = new Map<string, ProjectMember[]>();
    for (const m of found) byProject.set(m.projectId, [...(byProject.get(m.projectId) ?? []), m]);
    return projectIds.map((id) => byProject.get(id.toLowerCase()) ?? []);
  }

  addMember(projectId: string, userId: string, role: Role): Promise<ProjectMember> {
    return this.withAudit(async (tx, audit) => {
      const member = await tx.projectMember.create({ data: { projectId, userId, role } });
      audit({ ...memberEvent('projectMember.add', projectId, userId), change: { userId, role } });
      return member;
    });
  }

  /**
   * Changes a member's role, or removes them (role null), in one serializable
   * transaction that refuses to leave the project without an OWNER.
   */
  async changeMember(projectId: string, userId: string, role: Role | null): Promise<ProjectMember | MembershipRefusal | null> {
    return this.withAudit(
      async (tx, audit) => {
        // Lock the project's member rows, so two demotions cannot both see "another owner left".
        const members = await tx.$queryRaw<{ user_id: string; role: Role }[]>`
          SELECT user_id::text, role::text AS role FROM project_members WHERE project_id = ${projectId}::uuid FOR UPDATE`;
        const current = members.find((m) => m.user_id === userId);
        if (!current) return 'NOT_MEMBER' as const;
        const owners = members.filter((m) => m.role === 'OWNER').length;
        if (current.role === 'OWNER' && role !== 'OWNER' && owners <= 1) return 'LAST_OWNER' as const;
        if (role === null) {
          await tx.projectMember.delete({ where: { projectId_userId: { projectId, userId } } });
          audit({ ...memberEvent('projectMember.remove', projectId, userId), change: { userId, role: current.role } });
          return null;
        }
        const updated = await tx.projectMember.update({ where: { projectId_userId: { projectId, userId } }, data: { role } });
        if (current.role !== role) {
          audit({ ...memberEvent('projectMember.update', projectId, userId), change: { userId, from: current.role, role } });
        }
        return updated;
      },
      { isolationLevel: 'ReadCommitted' },
    );
  }

  // -- ownership checks -----------------------------------------------------

  /** The project and parent of each entity of one kind, by lower-case id: one query; unknown ids are left out. */
  async ownersOf(kind: EntityKind, ids: readonly string[]): Promise<Map<string, EntityOwner>> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    if (wanted.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<{ id: string; project_id: string; parent_id: string | null }[]>(
      Prisma.sql`${PROJECT_OF[kind]}(${wanted}::uuid[])`,
    );
    return new Map(rows.map((r) => [r.id, { projectId: r.project_id, parentId: r.parent_id }]));
  }

  /** The bootstrap admin user (fixed id), created or made admin again. */
  upsertBootstrapAdmin(): Promise<User> {
    return this.prisma.user.upsert({
      where: { id: BOOTSTRAP_ADMIN_ID },
      create: { id: BOOTSTRAP_ADMIN_ID, email: BOOTSTRAP_ADMIN_EMAIL, name: BOOTSTRAP_ADMIN_NAME, isAdmin: true },
      update: { isAdmin: true },
    });
  }
}
