" Files of a .codex/ agent-memory folder: the task log is JSON; the roster, PRD, architecture, checklist, prompts
" and templates are Markdown; TechCat's settings and Codex CLI agents are TOML. Forced, so a user's own mapping
" of *.md (a wiki plugin, say) does not hide them from the TechCat language server.
autocmd BufNewFile,BufRead */.codex/*.json set filetype=json
autocmd BufNewFile,BufRead */.codex/*.md,*/.codex/*/*.md set filetype=markdown
autocmd BufNewFile,BufRead */.codex/*.toml,*/.codex/*/*.toml set filetype=toml
