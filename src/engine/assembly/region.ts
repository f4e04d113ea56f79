// A growable region of the kernels' memory. Each kernel family (products, spectral, activations, one-hot scatter) has
// its own, so that what one family's caller staged is never overwritten by another family's call.

export class Region {
  private at: usize = 0;
  private bytes: usize = 0;

  constructor(private readonly minBytes: usize) {}

  /** The address of at least `bytes` bytes, reallocated at the next power of two (from minBytes) when too small. */
  reserve(bytes: usize): usize {
    if (bytes > this.bytes) {
      if (this.at != 0) heap.free(this.at);
      let size = this.minBytes;
      while (size < bytes) size <<= 1;
      this.at = heap.alloc(size);
      this.bytes = size;
    }
    return this.at;
  }
}
