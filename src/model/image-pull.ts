/** The progress of an image pull, layer by layer, as the engine tells it and the API streams it. */

export type LayerStatus = 'waiting' | 'downloading' | 'extracting' | 'done';

/** One layer's state, as the engine last told it. */
export interface LayerProgress {
  /** The engine's short layer id (12 hex digits). */
  layer: string;
  status: LayerStatus;
  /** Bytes downloaded or extracted so far in this status; `total` when the status is done. */
  current: number;
  /** The layer's compressed size, once the engine has said it; null before. */
  total: number | null;
}

/** One layer's progress in the pull of an appliance's image (what the API's pull stream sends). */
export interface PullEvent extends LayerProgress {
  ref: string;
  name: string;
  image: string;
}
