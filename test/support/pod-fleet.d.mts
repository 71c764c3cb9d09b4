/** One notification the fleet accepted. */
export interface FleetDelivery {
  /** The subscriber pod whose notification URL was called. */
  pod: string;
  /** Source address of the connection (the sending replica's loopback address). */
  address: string;
  /** Epoch ms when the request arrived. */
  at: number;
  eventType: string;
  service: string;
  revision: number | undefined;
  /** `pod_name/status` of each pod in the payload. */
  pods: string[];
}

export interface PodFleet {
  port: number;
  pid: number;
  base: string;
  healthUrl(pod: string): string;
  notifyUrl(pod: string): string;
  probes(since?: number, until?: number): Promise<Array<[pod: string, address: string, at: number]>>;
  probeCount(): Promise<number>;
  deliveries(since?: number): Promise<FleetDelivery[]>;
  setHealth(pod: string, mode: 'up' | 'down'): Promise<boolean>;
  close(): Promise<void>;
}

export declare function startPodFleet(): Promise<PodFleet>;
