import { PrescientError, toPrescientError } from '../errors.js';
import type { Samples } from '../series/series.js';
import type { RangeQuerier } from './history.js';

export type CircuitState = 'closed' | 'open' | 'half-open';
export const CIRCUIT_STATES: readonly CircuitState[] = ['closed', 'open', 'half-open'];

export interface CircuitBreakerOptions {
  /** Consecutive failed queries (each after the client's own retries) that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one probe query is let through (seconds). */
  readonly openSeconds: number;
  /** Clock, ms since epoch. */
  readonly now?: () => number;
  /** Called on every state change (metrics, logs). */
  readonly onStateChange?: (from: CircuitState, to: CircuitState, reason: string) => void;
}

/**
 * Failures that say Prometheus itself is unwell (no answer, 5xx after
 * retries, time-outs). A rejected query or a query without data is
 * Prometheus answering: it never opens the circuit.
 */
const OUTAGE_CODES = new Set(['PRESCIENT_ERR_PROMETHEUS_UNREACHABLE']);

/**
 * A circuit breaker in front of one Prometheus, so an outage does not become
 * a retry storm from every target: after `failureThreshold` consecutive
 * failed queries it opens and every query fails fast with
 * PRESCIENT_ERR_PROMETHEUS_CIRCUIT_OPEN; after `openSeconds` one query goes
 * through as a probe (half-open) while the others keep failing fast; the
 * probe's success closes the circuit, its failure opens it again.
 */
export class CircuitBreaker<C extends RangeQuerier & { close?(): void }> implements RangeQuerier {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAtMs = 0;
  private probing = false;
  private readonly now: () => number;

  constructor(
    private readonly inner: C,
    private readonly options: CircuitBreakerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The state now (an open circuit whose wait is over reports half-open). */
  state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAtMs >= this.options.openSeconds * 1000) return 'half-open';
    return this.current;
  }

  /**
   * @throws PrescientError PRESCIENT_ERR_PROMETHEUS_CIRCUIT_OPEN while open (or half-open with a probe under way),
   *   and the inner client's codes otherwise
   */
  async queryRange(query: string, startMs: number, endMs: number, stepSeconds: number, options?: { aggregate?: 'sum' | 'avg' | 'max' | 'min' }): Promise<Samples> {
    const state = this.state();
    if (state === 'open' || (state === 'half-open' && this.probing)) {
      const retryInSeconds = Math.max(0, Math.ceil((this.openedAtMs + this.options.openSeconds * 1000 - this.now()) / 1000));
      throw new PrescientError(
        'PRESCIENT_ERR_PROMETHEUS_CIRCUIT_OPEN',
        `Prometheus failed ${this.failures} queries in a row; not querying it ${state === 'open' ? `for another ${retryInSeconds} s` : 'while a probe is under way'}`,
      );
    }
    const probe = state === 'half-open';
    if (probe) {
      this.probing = true;
      this.move('half-open', 'probing after the open interval');
    }
    try {
      const samples = await this.inner.queryRange(query, startMs, endMs, stepSeconds, options);
      this.succeeded();
      return samples;
    } catch (err) {
      const error = toPrescientError(err);
      if (OUTAGE_CODES.has(error.code)) this.failed(error.message, probe);
      else this.succeeded();
      throw error;
    } finally {
      if (probe) this.probing = false;
    }
  }

  close(): void {
    this.inner.close?.();
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.current !== 'closed') this.move('closed', 'a query succeeded');
  }

  private failed(reason: string, probe: boolean): void {
    this.failures++;
    if (probe || (this.current === 'closed' && this.failures >= this.options.failureThreshold)) {
      this.openedAtMs = this.now();
      this.move('open', probe ? `the probe failed: ${reason}` : `${this.failures} consecutive failures; last: ${reason}`);
    }
  }

  private move(to: CircuitState, reason: string): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.options.onStateChange?.(from, to, reason);
  }
}
