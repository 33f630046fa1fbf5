import { randomBytes } from "node:crypto";

/** What follows the last page of a paged answer: nothing (list) or a delta link (delta round). */
export interface PageTail {
  deltaLink?: string;
}

interface StoredPage {
  value: unknown[];
  /** Absolute URL prefix of the next link, ending in `$skiptoken=`; the token is appended. */
  linkPrefix: string;
  rest: unknown[][];
  context: string;
  tail: PageTail;
  /** What the request that opened this result asked for, kept for the delta 410 `Location` (contract §2). */
  origin: string;
}

/** One page ready to serialise. */
export interface Page {
  context: string;
  value: unknown[];
  nextLink?: string;
  deltaLink?: string;
  origin: string;
}

/**
 * Result snapshots behind opaque `$skiptoken`s. The whole result is cut into pages when the first request is
 * served, so following `@odata.nextLink` keeps working, unchanged, after later directory mutations: a page shows
 * the directory as it was when the listing began. Tokens never expire; the oldest are dropped past `capacity`.
 */
export class PageStore {
  private readonly pages = new Map<string, StoredPage>();

  constructor(private readonly capacity = 10_000) {}

  /** Serves page 0 of `pages` and stores the rest. `pages` must hold at least one (possibly empty) page. */
  open(pages: unknown[][], linkPrefix: string, context: string, tail: PageTail, origin: string): Page {
    const [first = [], ...rest] = pages;
    return this.serve({ value: first, linkPrefix, rest, context, tail, origin });
  }

  /** Serves the page behind `token`, or `undefined` when unknown. Tokens are reusable (a client may retry). */
  follow(token: string, context: string): Page | undefined {
    const stored = this.pages.get(token);
    return stored ? this.serve({ ...stored, context }) : undefined;
  }

  /** The `origin` recorded for a token, for the 410 reset. */
  originOf(token: string): string | undefined {
    return this.pages.get(token)?.origin;
  }

  private serve(page: StoredPage): Page {
    const [next, ...remaining] = page.rest;
    if (next === undefined) {
      return { context: page.context, value: page.value, origin: page.origin, ...page.tail };
    }
    const token = randomBytes(24).toString("base64url");
    this.pages.set(token, { ...page, value: next, rest: remaining });
    if (this.pages.size > this.capacity) {
      const oldest = this.pages.keys().next().value;
      if (oldest !== undefined) this.pages.delete(oldest);
    }
    return { context: page.context, value: page.value, nextLink: page.linkPrefix + token, origin: page.origin };
  }
}

/**
 * Cuts items into pages of `pageSize`. With `shortPages`, every fourth page (index 1 mod 4) holds a third of the
 * size and every page at index 2 mod 4 is empty while more follow: Graph does both (contract §1.1 "A page may hold
 * zero results"). Deterministic: depends only on the item count and size.
 */
export function splitPages<T>(items: T[], pageSize: number, shortPages: boolean): T[][] {
  const pages: T[][] = [];
  let offset = 0;
  let index = 0;
  while (offset < items.length) {
    let size = pageSize;
    if (shortPages && index % 4 === 1) size = Math.max(1, Math.floor(pageSize / 3));
    if (shortPages && index % 4 === 2) size = 0;
    pages.push(items.slice(offset, offset + size));
    offset += size;
    index += 1;
  }
  return pages.length > 0 ? pages : [[]];
}
