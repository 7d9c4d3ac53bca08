//! Work over many packages in parallel, with results in input order (deterministic output).
//! [`map`] and [`map_streamed`] show a progress bar on a terminal when the work takes more than
//! about a second ([`crate::core::ui::Progress`]).

/// The result of a scoped thread's work, its panic carried on to the caller's thread.
pub fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Map `f` over `items` on `jobs` worker threads; results come back in the order of `items`.
pub fn map<T, R, F>(items: &[T], jobs: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    use rayon::prelude::*;
    let progress = crate::core::ui::Progress::start(items.len());
    let f = |item: &T| {
        let r = f(item);
        progress.inc();
        r
    };
    if jobs <= 1 || items.len() <= 1 {
        return items.iter().map(f).collect();
    }
    match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.min(items.len()))
        .build()
    {
        Ok(pool) => pool.install(|| items.par_iter().map(&f).collect()),
        // No threads to be had: the same work, serially.
        Err(_) => items.iter().map(f).collect(),
    }
}

/// Like [`map`], and also hand each result to `emit` in the order of `items`, as soon as it and
/// every earlier result are done (so output can be printed while later items still run).
/// `emit` runs on the calling thread.
pub fn map_streamed<T, R, F, E>(items: &[T], jobs: usize, f: F, mut emit: E) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
    E: FnMut(&T, &R),
{
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    let progress = crate::core::ui::Progress::start(items.len());
    let mut emit = |item: &T, r: &R| {
        progress.inc();
        emit(item, r);
    };
    if jobs <= 1 || items.len() <= 1 {
        return items
            .iter()
            .map(|item| {
                let r = f(item);
                emit(item, &r);
                r
            })
            .collect();
    }
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(items.len()) {
            let tx = tx.clone();
            let (next, f) = (&next, &f);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    if tx.send((i, f(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, R> = BTreeMap::new();
        let mut emitted = 0;
        for (i, r) in rx {
            pending.insert(i, r);
            while let Some(r) = pending.remove(&emitted) {
                emit(&items[emitted], &r);
                results[emitted] = Some(r);
                emitted += 1;
            }
        }
    });
    // Every index was sent once (a worker that panicked propagates out of the scope above).
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_input_order() {
        let items: Vec<u32> = (0..200).collect();
        let out = super::map(&items, 4, |i| {
            std::thread::sleep(std::time::Duration::from_micros(u64::from(200 - i)));
            i * 2
        });
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn streams_in_input_order() {
        let items: Vec<u64> = (0..50).collect();
        let mut seen = Vec::new();
        let out = super::map_streamed(
            &items,
            8,
            |i| {
                std::thread::sleep(std::time::Duration::from_micros((50 - i) * 100));
                i * 3
            },
            |item, r| seen.push((*item, *r)),
        );
        assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>());
        assert_eq!(seen, items.iter().map(|i| (*i, i * 3)).collect::<Vec<_>>());
        let mut serial = Vec::new();
        let out = super::map_streamed(&items, 1, |i| *i, |_, r| serial.push(*r));
        assert_eq!(out, serial);
    }
}
