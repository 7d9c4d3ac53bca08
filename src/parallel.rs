//! Work over many packages in parallel, with results in input order (deterministic output).

/// Map `f` over `items` on `jobs` worker threads; results come back in the order of `items`.
pub fn map<T, R, F>(items: &[T], jobs: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    use rayon::prelude::*;
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
}
