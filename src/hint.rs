//! Performance hints that change no result.

/// Ask the CPU to start loading the cache line of `value`, which the caller will read soon (the
/// engines know their next events: a million connections' state does not fit in the cache, and
/// a miss costs more than an attempt's whole computation). A hint only: no result depends on it.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only hints the cache hierarchy: it never faults and the program
    // observes no read or write. The pointer comes from a valid reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((value as *const T).cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
