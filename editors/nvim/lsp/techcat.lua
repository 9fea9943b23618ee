-- The TechCat language server for Neovim 0.11+ (`:help lsp-config`). With editors/nvim on 'runtimepath':
--   vim.lsp.enable('techcat')
-- Override any field with vim.lsp.config('techcat', { cmd = { '/path/to/.venv/bin/techcat-lsp' } }).
-- It attaches only to JSON and Markdown files inside a `.codex/` folder.
---@type vim.lsp.Config
return {
  cmd = { 'techcat-lsp' },
  filetypes = { 'json', 'markdown' },
  root_dir = function(bufnr, on_dir)
    local root = require('techcat.paths').workspace_root(vim.api.nvim_buf_get_name(bufnr))
    if root then
      on_dir(root)
    end
  end,
}
