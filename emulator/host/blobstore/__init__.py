"""wasi:blobstore (blobstore, container, types), as Golem serves it."""
