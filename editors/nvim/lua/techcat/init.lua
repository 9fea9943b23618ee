-- TechCat Studio for Neovim: the TechCat language server on the files of `.codex/` folders, and user commands.
--
--   require('techcat').setup({ cmd = { '/path/to/.venv/bin/techcat-lsp' } })
--
-- Works from Neovim 0.7 on. On 0.11+ it registers the server with vim.lsp.config/vim.lsp.enable (the same
-- configuration as lsp/techcat.lua); before that it starts the client itself for each `.codex/` buffer.
local compat = require('techcat.compat')
local paths = require('techcat.paths')

local M = {}

local defaults = {
  cmd = { 'techcat-lsp' },
  filetypes = { 'json', 'markdown' },
  on_attach = nil, -- function(client, bufnr)
  capabilities = nil, -- defaults to vim.lsp.protocol.make_client_capabilities()
  settings = {},
  init_options = nil,
  handlers = nil,
  -- false: never use vim.lsp.config/vim.lsp.enable, even on 0.11 (the 0.7-style client start).
  native = true,
}

M.config = vim.deepcopy(defaults)

local group = nil
local legacy_clients = {} -- root folder -> client id, for Neovim 0.7 (no vim.lsp.start)

local function client_config(root)
  local cfg = M.config
  return {
    name = 'techcat',
    cmd = cfg.cmd,
    root_dir = root,
    workspace_folders = root and { { uri = vim.uri_from_fname(root), name = root } } or nil,
    on_attach = cfg.on_attach,
    capabilities = cfg.capabilities or vim.lsp.protocol.make_client_capabilities(),
    settings = cfg.settings,
    init_options = cfg.init_options,
    handlers = cfg.handlers,
  }
end

--- Attach the TechCat server to a buffer when the buffer is a file inside a `.codex/` folder.
---@param bufnr integer|nil
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local root = paths.workspace_root(vim.api.nvim_buf_get_name(bufnr))
  if root == nil then
    return nil
  end
  if compat.has_lsp_start then
    return vim.lsp.start(client_config(root), { bufnr = bufnr })
  end
  local id = legacy_clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client(client_config(root))
    if id == nil then
      vim.notify('TechCat: could not start ' .. table.concat(M.config.cmd, ' '), vim.log.levels.ERROR)
      return nil
    end
    legacy_clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

local function define_filetypes()
  -- The same rules as ftdetect/techcat.vim, for a setup() call from a plugin manager that skips ftdetect/.
  vim.api.nvim_create_autocmd({ 'BufNewFile', 'BufRead' }, {
    group = group,
    pattern = { '*/.codex/*.json' },
    command = 'set filetype=json',
  })
  vim.api.nvim_create_autocmd({ 'BufNewFile', 'BufRead' }, {
    group = group,
    pattern = { '*/.codex/*.md', '*/.codex/*/*.md' },
    command = 'set filetype=markdown',
  })
end

---@param opts table|nil see `defaults` above
function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  group = vim.api.nvim_create_augroup('techcat', { clear = true })
  define_filetypes()
  require('techcat.commands').define()
  require('techcat.progress').enable()
  if compat.has_lsp_config and M.config.native then
    local cfg = client_config(nil)
    cfg.name, cfg.root_dir, cfg.workspace_folders = nil, nil, nil
    cfg.filetypes = M.config.filetypes
    cfg.root_dir = function(bufnr, on_dir)
      local root = paths.workspace_root(vim.api.nvim_buf_get_name(bufnr))
      if root then
        on_dir(root)
      end
    end
    vim.lsp.config('techcat', cfg)
    vim.lsp.enable('techcat')
    return
  end
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  -- Buffers opened before setup() ran.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr)
    end
  end
end

return M
