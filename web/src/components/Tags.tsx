/** Names shown as tags one after another (aliases, roles). */
export function Tags({ names }: { names: readonly string[] }) {
  return (
    <>
      {names.map((name) => (
        <span key={name} className="tag">
          {name}
        </span>
      ))}
    </>
  );
}
