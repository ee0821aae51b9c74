// The part of autocannon 9's programmatic API the harness uses (the package ships no types).
declare module 'autocannon' {
  interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }

  export interface AutocannonStep extends AutocannonRequest {
    setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
    onResponse?: (status: number) => void;
  }

  /** One connection; `setRequests` gives it its own request objects (by default all share one list). */
  export interface Client {
    setRequests(requests: AutocannonStep[]): void;
  }

  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    amount?: number;
    overallRate?: number;
    timeout?: number;
    ignoreCoordinatedOmission?: boolean;
    requests?: AutocannonStep[];
    /** Called once per connection, before it connects. */
    setupClient?: (client: Client) => void;
  }

  interface Histogram {
    average: number;
    p50: number;
    p99: number;
    max: number;
    total: number;
  }

  interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram;
  }

  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
