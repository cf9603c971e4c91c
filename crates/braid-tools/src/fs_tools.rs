//! File tools: read_file (line ranges, binary detection, caps), list_dir and grep (respecting .gitignore).
