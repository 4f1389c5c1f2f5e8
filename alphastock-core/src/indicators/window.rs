//! A fixed-capacity ring of the last N inputs, allocated once.

/// The last `capacity` values; pushing into a full window returns the value that fell out.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    buf: Vec<f64>,
    capacity: usize,
    next: usize,
}

impl Window {
    /// An empty window of `capacity` (≥ 1) values.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
            capacity,
            next: 0,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn is_full(&self) -> bool {
        self.buf.len() == self.capacity
    }

    /// Appends `x`; returns the oldest value if the window was full.
    #[inline]
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        if self.buf.len() < self.capacity {
            self.buf.push(x);
            None
        } else {
            let out = std::mem::replace(&mut self.buf[self.next], x);
            self.next = (self.next + 1) % self.capacity;
            Some(out)
        }
    }
}
